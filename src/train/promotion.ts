// Whether a newly trained version replaces what writes drafts today. Promotion needs a measured
// win on the same held-out messages: over the prompted route (the base model shown a few past
// replies, what drafting falls back to) on the loss of the real replies AND on chrF, and over the
// version promoted now on chrF. A tie is not a win: retraining on unchanged data promotes nothing.
import type { RouteSummary } from './routes.js';

export type PromotionCode =
  | 'PROMOTED'
  | 'NO_HELD_OUT' // nothing to measure with: too few held-out replies
  | 'LOSS_NOT_BETTER' // the real replies are not more likely under the candidate than the prompted route
  | 'CHRF_NOT_BETTER' // its replies are not closer to the real ones than the prompted route's
  | 'NOT_BETTER_THAN_CURRENT'; // not closer than the promoted version's

export interface PromotionInput {
  candidate: { id: number; summary: RouteSummary };
  prompted: RouteSummary;
  /** The promoted version, evaluated on the same messages; null when none is promoted. */
  current: { id: number; summary: RouteSummary } | null;
}

export interface PromotionDecision {
  promote: boolean;
  code: PromotionCode;
  /** One sentence naming the numbers, shown by train, status and the report. */
  why: string;
  /** Candidate minus prompted route: loss (negative = better) and chrF (positive = better). */
  margin: { loss: number | null; chrf: number | null };
}

/** The decision for `input`; pure, so the rules are unit-tested on their own. */
export function decidePromotion(input: PromotionInput): PromotionDecision {
  const { candidate, prompted, current } = input;
  const c = candidate.summary;
  const staying = current ? `version ${current.id} stays` : 'drafts keep using the prompted route';
  const margin = {
    loss: c.loss !== null && prompted.loss !== null ? c.loss - prompted.loss : null,
    chrf: c.samples && prompted.samples ? c.chrf - prompted.chrf : null,
  };
  if (!c.samples || c.loss === null || prompted.loss === null) {
    return {
      promote: false,
      code: 'NO_HELD_OUT',
      why: `no held-out replies to measure version ${candidate.id} on (sync more of your sent mail); ${staying}`,
      margin,
    };
  }
  const n = `${c.samples} held-out message${c.samples === 1 ? '' : 's'}`;
  if (c.loss >= prompted.loss) {
    return {
      promote: false,
      code: 'LOSS_NOT_BETTER',
      why: `loss of your real replies ${c.loss.toFixed(3)} is not below the prompted route's ${prompted.loss.toFixed(3)} on ${n}; ${staying}`,
      margin,
    };
  }
  if (c.chrf <= prompted.chrf) {
    return {
      promote: false,
      code: 'CHRF_NOT_BETTER',
      why: `replies score chrF ${c.chrf.toFixed(1)}, not above the prompted route's ${prompted.chrf.toFixed(1)} on ${n} (loss ${prompted.loss.toFixed(3)} → ${c.loss.toFixed(3)}); ${staying}`,
      margin,
    };
  }
  const overPrompted = `loss ${prompted.loss.toFixed(3)} → ${c.loss.toFixed(3)} and chrF ${prompted.chrf.toFixed(1)} → ${c.chrf.toFixed(1)} over the prompted route`;
  if (current && c.chrf <= current.summary.chrf) {
    return {
      promote: false,
      code: 'NOT_BETTER_THAN_CURRENT',
      why: `replies score chrF ${c.chrf.toFixed(1)}, not above the promoted version ${current.id}'s ${current.summary.chrf.toFixed(1)} on the same ${n} (${overPrompted}); ${staying}`,
      margin,
    };
  }
  return {
    promote: true,
    code: 'PROMOTED',
    why: `${overPrompted}${current ? `, chrF ${current.summary.chrf.toFixed(1)} → ${c.chrf.toFixed(1)} over version ${current.id}` : ''}, on ${n}`,
    margin,
  };
}
