/** Lane fake of ECMA-419 `embedded:io/socket/udp`: only passed through as the DNS resolver's socket. */
export default class UDP {
  constructor(_options: Record<string, unknown> = {}) {}
  close(): void {}
}
