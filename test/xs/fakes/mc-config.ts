/** Lane fake of `mc/config` (the manifest's "config" plus command-line overrides). */
const config: Record<string, unknown> = {
  mqttEndpoint: '',
  mqttPort: 8883,
  sntp: 'pool.ntp.org',
  dnsServers: ['10.0.0.53'],
  rootCaResource: 'root-ca.der',
  claimCertResource: 'claim-cert.der',
  claimKeyResource: 'claim-key.der',
};
export default config;
