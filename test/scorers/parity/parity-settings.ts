// Shared by the parity test and the corpus dump: predictions drawn per sample.
export const PER_SAMPLE = 60;
