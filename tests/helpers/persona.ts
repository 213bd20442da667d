// The persona of src/demo/persona.ts, for the tests.
export { type PersonaThread, personaThreads } from '../../src/demo/persona.js';
