import { MemoryBroker } from '../src/broker/memory.broker.js';
import { MemoryPresence } from '../src/presence/memory.presence.js';
import { brokerConformance } from './broker/broker.conformance.js';

brokerConformance({
  name: 'memory',
  cluster: false,
  async backend({ historySize, historyTtlMs }) {
    const instance = { broker: new MemoryBroker(historySize, historyTtlMs), presence: new MemoryPresence() };
    return {
      instance: async () => instance,
      close: async () => {
        await instance.broker.close();
        await instance.presence.close();
      },
    };
  },
});
