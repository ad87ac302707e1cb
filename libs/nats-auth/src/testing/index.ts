export {
  startSecuredPrivateNats,
  type CredentialsHolder,
  type SecuredPrivateNats,
} from './secured-private-nats.js';
export {
  startSecuredNatsCluster,
  type ClusterMember,
  type SecuredNatsCluster,
} from './secured-nats-cluster.js';
