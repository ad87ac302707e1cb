export {
  startSecuredPrivateNats,
  type CredentialsHolder,
  type SecuredPrivateNats,
} from './secured-private-nats.js';
