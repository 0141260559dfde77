/** Crypto-grade random bytes (esp_random on ESP32, node:crypto on Node). */
export interface Random {
  bytes(length: number): Uint8Array;
}
