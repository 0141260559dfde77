/** Lane fake of `mc/config` (the manifest's "config" plus command-line overrides). */
const config: Record<string, unknown> = {
  mqttEndpoint: 'broker.lane.test',
  mqttPort: 8883,
  sntp: 'pool.ntp.org',
  dnsServers: ['10.0.0.53'],
};
export default config;
