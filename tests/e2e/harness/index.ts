/**
 * The realizing harness of the end-to-end suite: runs a Pulumi program (the
 * repo's index.ts) under mocks that create its resources for real on the
 * local Docker engine and over SSH, with per-stack state so re-runs diff,
 * update and replace like `pulumi up`. See realize.ts.
 */
export { destroy, leftovers, purgeLabelled, readState, realize, DEFAULT_PROGRAM, DEFAULT_STATE_DIR, PROVIDERS, RealizeError } from "./realize";
export type { Action, DestroyOptions, DestroyResult, Leftovers, RealizeContext, RealizeHooks, RealizeOptions, RealizeResult, ResourceReport } from "./realize";
export { UnexpectedChangesError } from "./changes";
export type { PlannedChange } from "./changes";
export type { StoredResource } from "./state";
