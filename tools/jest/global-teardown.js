// Stops what global setup started, and only that: servers found already running stay up.
const PROVISIONED_SERVICES = Symbol.for('canopy.jest.provisionedServices');

export default async function globalTeardown() {
  const services = globalThis[PROVISIONED_SERVICES] ?? [];
  delete globalThis[PROVISIONED_SERVICES];
  await Promise.all(services.map((service) => service.stop()));
}
