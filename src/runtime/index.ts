/**
 * `jetcontract/runtime`: resilient publish and consume on JetStream. Usable by hand,
 * without the generator; generated code is a thin typed layer over it.
 */
export type * from "./descriptors.js";
