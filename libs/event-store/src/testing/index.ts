export {
  describeEventStoreContract,
  type EventStoreContractSetup,
} from './event-store-contract.js';
export { RecordingSubscription } from './recording-subscription.js';
export { withSubscriptionsHeldBack } from './held-subscriptions.js';
