// The drafts outbox as one state machine (mbsync's sync_state.c is the model): every state a
// draft of ours can be in, declared once; one transition per event, journalled in the store
// before the server action it leads to (durably, synchronous=FULL) and marked by a named fault
// point that the crash tests kill the process at.
import type { ImapFlow } from 'imapflow';
import {
  appendDraft,
  type DraftOnServer,
  draftAt,
  findDraftByKey,
  removeOwnDraft,
  untouched,
  userDraftsAnswering,
  userFlags,
} from '../imap/drafts.js';
import { ImapError } from '../imap/errors.js';
import type { Db } from '../store/db.js';
import {
  type DraftRow,
  type DraftState,
  draftsInState,
  insertDraft,
  type NewDraft,
  updateDraft,
} from '../store/drafts.js';

/** Every outbox state, once, with what it means. */
export const OUTBOX_STATES: Record<DraftState, string> = {
  planned: 'journalled durably, APPEND not confirmed: recovery searches Drafts for its key before appending again',
  appended: 'our untouched draft is on the server at (mailbox, uidvalidity, uid)',
  retiring: 'a newer draft of ours replaced it; its removal from the server is under way (recovery finishes it)',
  superseded: 'replaced by a newer draft of ours and removed from the server by us',
  touched: 'the user edited, flagged, tagged or moved it: theirs now, never modified or deleted by us',
  sent: 'the user sent a reply to its message; feedback holds how much of the draft was kept',
  discarded: 'deleted by the user without a reply: their "no"; that message is never drafted again',
  failed: 'nothing appended: the output was refused or generation failed (text kept); retried only under another model',
};

/** States in which a draft of ours may be on the server and is still ours to manage. */
export const LIVE_STATES: readonly DraftState[] = ['planned', 'appended', 'retiring'];

/**
 * The fault points, one per transition. Test-only: UNDERSTUDY_FAULT=<point> makes the process
 * SIGKILL itself there (mbsync's way: stop at each step, rerun, compare); `<point>-drop`
 * closes the IMAP connection there instead. Unset in normal use; nothing else reads it.
 */
export const FAULT_POINTS = {
  'after-plan': 'the planned row is committed, before the APPEND',
  'after-append': 'the server has the draft, before the journal says appended',
  'after-appended': 'the journal says appended, before older drafts in the thread are retired',
  'after-recover-append': 'recovery re-appended a planned draft, before the journal says appended',
  'after-retiring': 'an older draft is marked retiring, before it is removed from the server',
  'after-retire-remove': 'the older draft is removed from the server, before the journal says superseded',
  'after-refuse': 'a refused reply is journalled as failed',
  'after-touched': 'a draft the user touched is journalled as theirs',
  'after-sent': 'a draft whose message the user answered is journalled as sent',
  'after-discard': 'a draft the user deleted is journalled as discarded',
} as const;

export type FaultPoint = keyof typeof FAULT_POINTS;

/** Kills the process (or drops the connection) at `point` when UNDERSTUDY_FAULT names it. Tests only. */
export function faultPoint(point: FaultPoint, imap?: ImapFlow): void {
  const fault = process.env.UNDERSTUDY_FAULT;
  if (!fault) return;
  if (fault === point) process.kill(process.pid, 'SIGKILL');
  if (fault === `${point}-drop` && imap) {
    imap.close();
    throw new ImapError(
      'CONNECTION_LOST',
      'temporary',
      'the connection was lost before the server confirmed the draft',
      'nothing to do: the next run finds the draft by its header',
    );
  }
}

/** The IMAP side the outbox needs: a connected client and the path of the Drafts mailbox. */
export interface DraftsServer {
  client: ImapFlow;
  drafts: string;
}

/** Where one of our appended drafts is now, and what became of it. */
export type Whereabouts =
  | { kind: 'ours'; at: DraftOnServer }
  | { kind: 'touched'; at: DraftOnServer; uidValidity: number; mailbox: string; reason: string }
  | { kind: 'gone' };

/**
 * The outbox of one account. Each method is one transition; "Order is important" comments mark
 * where the order of the journal write and the server action is the correctness argument.
 */
export class Outbox {
  constructor(
    private readonly db: Db,
    private readonly accountId: number,
    private readonly server: () => Promise<DraftsServer>,
  ) {}

  /** A refusal: journalled once with the refused text and the model it came from (none → failed). */
  refuse(draft: NewDraft, reason: string): void {
    insertDraft(this.db, { ...draft, raw: null }, 'failed', reason);
    faultPoint('after-refuse');
  }

  /**
   * none → planned → appended: journals the draft durably, APPENDs it, records its UID (from
   * APPENDUID, else found by its header). Returns the row, `uid` null when the server gave no
   * UID and the search did not find it yet (it stays planned; the next run's recovery settles it).
   */
  async deliver(draft: NewDraft): Promise<DraftRow> {
    if (!draft.raw) throw new Error('deliver needs the composed message'); // assert: compose() always sets raw
    // Order is important: the row is on disk before the server can hold the draft.
    const row = insertDraft(this.db, draft, 'planned', null);
    faultPoint('after-plan');
    const { client, drafts } = await this.server();
    const appended = await appendDraft(client, drafts, draft.raw);
    faultPoint('after-append', client);
    const where = await this.placed(client, drafts, row.draft_key, appended);
    if (!where) return row;
    updateDraft(this.db, row.id, 'appended', { where });
    faultPoint('after-appended');
    return { ...row, state: 'appended', ...where };
  }

  /**
   * After a crash: planned rows are appended exactly once (found by their header, extra copies
   * of ours removed, or appended again), retiring rows are removed and marked superseded.
   * Returns how many rows it settled.
   */
  async recover(): Promise<number> {
    let settled = 0;
    for (const row of draftsInState(this.db, this.accountId, ['planned'])) {
      const { client, drafts } = await this.server();
      const found = await findDraftByKey(client, drafts, row.draft_key);
      if (found.uids.length > 0) {
        // It was appended before the journal could say so. Exactly one must remain.
        const [keep, ...extra] = found.uids;
        const size = row.raw?.length ?? -1;
        for (const uid of extra)
          await removeOwnDraft(client, { mailbox: drafts, uidValidity: found.uidValidity, uid }, row.draft_key, size);
        updateDraft(this.db, row.id, 'appended', {
          where: { mailbox: drafts, uidvalidity: found.uidValidity, uid: keep ?? null },
        });
      } else if (row.raw) {
        const appended = await appendDraft(client, drafts, row.raw);
        faultPoint('after-recover-append', client);
        const where = await this.placed(client, drafts, row.draft_key, appended);
        if (where) updateDraft(this.db, row.id, 'appended', { where });
      } else {
        updateDraft(this.db, row.id, 'failed', { reason: 'planned without a message to append' });
      }
      settled++;
    }
    for (const row of draftsInState(this.db, this.accountId, ['retiring'])) {
      await this.finishRetiring(row);
      settled++;
    }
    return settled;
  }

  /**
   * appended → retiring → superseded: removes an older draft of ours that a newer one replaced,
   * only while it is exactly as we wrote it; one the user touched becomes theirs (→ touched).
   * Returns true when it was removed.
   */
  async retire(old: DraftRow): Promise<boolean> {
    if (old.state !== 'appended') return false;
    const where = await this.whereabouts(old);
    if (where.kind === 'touched') {
      this.touched(old, where);
      return false;
    }
    if (where.kind === 'gone') return false; // the feedback pass of the next run says what became of it
    // Order is important: "retiring" is on disk before the removal, so a crash in between is
    // finished by recovery instead of being mistaken for the user deleting it.
    updateDraft(this.db, old.id, 'retiring', {
      where: { mailbox: old.mailbox ?? '', uidvalidity: old.uidvalidity, uid: where.at.uid },
      reason: 'a newer message arrived in the thread',
      durable: true,
    });
    faultPoint('after-retiring');
    return this.finishRetiring({ ...old, state: 'retiring', uid: where.at.uid });
  }

  /**
   * Retires every older draft of ours in the thread of `fresh`, a draft just delivered: the
   * thread moved on. Another message with the same Message-ID (or the same content) is not
   * "older in the thread" and keeps its draft. Returns how many were removed.
   */
  async retireStale(fresh: DraftRow): Promise<number> {
    let removed = 0;
    for (const old of draftsInState(this.db, this.accountId, ['appended']))
      if (
        old.id !== fresh.id &&
        old.thread_key === fresh.thread_key &&
        old.parent_content !== fresh.parent_content &&
        old.parent_message_id !== fresh.parent_message_id &&
        (await this.retire(old))
      )
        removed++;
    return removed;
  }

  /** appended|touched|discarded → sent: the user answered the message (feedback kept). */
  sent(row: DraftRow, feedback: unknown): void {
    updateDraft(this.db, row.id, 'sent', { feedback });
    faultPoint('after-sent');
  }

  /** appended → discarded: gone from Drafts, no reply, no draft of the user's in its place. */
  discarded(row: DraftRow): void {
    updateDraft(this.db, row.id, 'discarded', { reason: 'deleted from Drafts without a reply' });
    faultPoint('after-discard');
  }

  /** appended → touched: the user changed, flagged, tagged, moved or re-saved it. Never ours again. */
  touched(row: DraftRow, why: { reason: string; mailbox?: string; uidValidity?: number; at?: DraftOnServer }): void {
    updateDraft(this.db, row.id, 'touched', {
      reason: why.reason,
      ...(why.at && why.mailbox
        ? { where: { mailbox: why.mailbox, uidvalidity: why.uidValidity ?? null, uid: why.at.uid } }
        : {}),
    });
    faultPoint('after-touched');
  }

  /**
   * Where an appended draft of ours is now. The UID is used only under the UIDVALIDITY it was
   * given with (RFC 3501 §2.3.1.1); when it is stale or unknown the draft is found again by its
   * X-Understudy-Draft header. A draft found anywhere but where we put it was moved or re-saved
   * by the user: theirs. So is one whose size or flags changed.
   */
  async whereabouts(row: DraftRow): Promise<Whereabouts> {
    const { client, drafts } = await this.server();
    const size = row.raw?.length ?? -1;
    if (row.uid !== null && row.mailbox) {
      const here = await draftAt(client, row.mailbox, row.uid, row.uidvalidity);
      if (here && here.key === row.draft_key) {
        if (untouched(here, row.draft_key, size)) return { kind: 'ours', at: here };
        const flags = userFlags(here);
        const reason =
          here.size !== size ? 'edited by you' : `flagged or tagged by you (${flags.join(' ') || 'flags changed'})`;
        return { kind: 'touched', at: here, mailbox: row.mailbox, uidValidity: row.uidvalidity ?? 0, reason };
      }
    }
    const found = await findDraftByKey(client, drafts, row.draft_key);
    const uid = found.uids.at(-1);
    if (uid === undefined) return { kind: 'gone' };
    const at = await draftAt(client, drafts, uid, found.uidValidity);
    if (!at) return { kind: 'gone' };
    const stale = row.uidvalidity !== null && row.uidvalidity !== found.uidValidity;
    const reason =
      at.size !== size
        ? 'edited by you (saved again with our header)'
        : stale
          ? `moved by you: found again at UID ${uid} after the Drafts folder's UIDVALIDITY changed`
          : `moved by you: found again at UID ${uid}`;
    return { kind: 'touched', at, mailbox: drafts, uidValidity: found.uidValidity, reason };
  }

  /** UIDs of drafts the user is writing in Drafts that answer one of `messageIds` (not ours). */
  async userDraftsAnswering(messageIds: readonly string[], ours: ReadonlySet<string>): Promise<number[]> {
    const { client, drafts } = await this.server();
    return userDraftsAnswering(client, drafts, messageIds, ours);
  }

  /** retiring → superseded (or → touched when the user took it over meanwhile). */
  private async finishRetiring(row: DraftRow): Promise<boolean> {
    const { client } = await this.server();
    let outcome: Awaited<ReturnType<typeof removeOwnDraft>> = 'gone';
    if (row.uid !== null && row.mailbox) {
      const here = await draftAt(client, row.mailbox, row.uid, row.uidvalidity);
      // Without UIDPLUS our earlier removal left it flagged \Deleted: that removal is done.
      if (here && !(here.flags.includes('\\Deleted') && userFlags(here).length === 0)) {
        outcome = await removeOwnDraft(
          client,
          { mailbox: row.mailbox, uidValidity: row.uidvalidity, uid: row.uid },
          row.draft_key,
          row.raw?.length ?? -1,
        );
      }
    }
    if (outcome === 'changed') {
      updateDraft(this.db, row.id, 'touched', { reason: 'edited by you before it could be replaced' });
      faultPoint('after-touched');
      return false;
    }
    faultPoint('after-retire-remove', client);
    updateDraft(this.db, row.id, 'superseded', { reason: 'a newer message arrived in the thread' });
    return outcome === 'removed' || outcome === 'flagged';
  }

  /** Where an APPEND put the draft: APPENDUID (RFC 4315), else a SEARCH for its header. */
  private async placed(
    client: ImapFlow,
    mailbox: string,
    key: string,
    appended: { uid: number | null; uidValidity: number | null },
  ): Promise<{ mailbox: string; uidvalidity: number | null; uid: number } | null> {
    if (appended.uid !== null) return { mailbox, uidvalidity: appended.uidValidity, uid: appended.uid };
    const found = await findDraftByKey(client, mailbox, key);
    const uid = found.uids.at(-1);
    return uid === undefined ? null : { mailbox, uidvalidity: found.uidValidity, uid };
  }
}
