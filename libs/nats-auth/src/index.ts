export {
  createNatsAuthority,
  loadNatsAuthority,
  loadOrCreateNatsAuthority,
  NatsAuthorityFileError,
  parseNatsAuthority,
  saveNatsAuthority,
  type NatsAuthoritySecrets,
} from './authority.js';
export { authorityPublicKeys } from './authority-keys.js';
export {
  credentialsAuthenticator,
  natsCredentialsOptions,
  readCredentialsFile,
  serviceConnectionOptions,
} from './connection-credentials.js';
export {
  describeCredentials,
  issueNodeCredentials,
  issueServiceCredentials,
  issueSystemCredentials,
  nodeCredentialsIssuer,
  platformServices,
  servicePermissions,
  type CredentialsIdentity,
  type IssuedCredentials,
  type PlatformService,
  type SubjectPermissions,
} from './credentials.js';
export {
  NatsAccountUpdateError,
  NodeCredentialRevocations,
  openNodeCredentialRevocations,
  type NodeCredentialRevocationsOptions,
  type OpenedNodeCredentialRevocations,
} from './revocations.js';
export { startSecuredNats, type SecuredNatsOptions } from './secured-nats.js';
export {
  natsServerConfig,
  type NatsClusterMembership,
  type NatsServerConfigOptions,
} from './server-config.js';
