// PLACEHOLDER until the RateLimiter twin lands: replace this whole file.
export class TwinRateLimiter {
  constructor(_options: unknown) { throw new Error('TwinRateLimiter not implemented yet') }
}
