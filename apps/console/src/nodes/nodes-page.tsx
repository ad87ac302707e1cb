import { useQuery } from '@tanstack/react-query';
import { allNodes } from '../api/api-reads.js';
import type { NodeEntry } from '../api/api-types.js';
import { PageHeading } from '../layout/page-heading.js';
import { QueryStatus } from '../layout/query-status.js';
import { TimeAgo, useNow } from '../layout/times.js';
import { useSession } from '../session/session-context.js';

const NODES_REFRESH_MS = 2000;

/** The account's registered nodes: state, slots busy and free, capabilities, last seen. */
export function NodesPage() {
  const { client } = useSession();
  const now = useNow();
  const nodes = useQuery({
    queryKey: ['nodes'],
    queryFn: ({ signal }) => allNodes(client, signal),
    refetchInterval: NODES_REFRESH_MS,
  });
  return (
    <>
      <PageHeading title="Nodes" />
      <p className="help">
        The nodes registered with the account (<code>canopy node register</code>), updated every{' '}
        {NODES_REFRESH_MS / 1000} s.
      </p>
      <QueryStatus isPending={nodes.isPending} error={nodes.error} what="the nodes" />
      {nodes.data === undefined ? null : nodes.data.length === 0 ? (
        <p>No node is registered with the account.</p>
      ) : (
        <table className="nodes">
          <thead>
            <tr>
              <th scope="col">Node</th>
              <th scope="col">State</th>
              <th scope="col">Slots</th>
              <th scope="col">Capabilities</th>
              <th scope="col">Last seen</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>
            {nodes.data.map((node) => (
              <tr key={node.nodeId} data-node={node.hash}>
                <th scope="row">
                  {node.hash}
                  <br />
                  <span className="mono subtle">{node.nodeId}</span>
                </th>
                <td>{nodeState(node)}</td>
                <td>
                  <Slots node={node} />
                </td>
                <td>{capabilitiesText(node)}</td>
                <td>
                  <TimeAgo value={node.lastSeenAt} now={now} />
                </td>
                <td>{node.description === '' ? '-' : node.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function Slots(props: { readonly node: NodeEntry }) {
  const { node } = props;
  if (node.slots === null) return <span>-</span>;
  const busy = Math.min(node.runningTasks, node.slots);
  const free = node.slots - busy;
  return (
    <span className="slots">
      <span className="slot-boxes" aria-hidden="true">
        {Array.from({ length: Math.min(node.slots, 32) }, (_, index) => (
          <span key={index} className={index < busy ? 'slot busy' : 'slot free'} />
        ))}
      </span>
      <span className="slot-text">
        {busy} busy, {free} free
      </span>
    </span>
  );
}

function nodeState(node: NodeEntry): string {
  if (node.disabled) return 'disabled';
  return node.available ? 'available' : 'away';
}

function capabilitiesText(node: NodeEntry): string {
  const caps = node.capabilities;
  if (caps === null) return 'not announced yet';
  return (
    `cpu ${caps.cpuCount}, mem ${caps.memSize} MiB, latency ${caps.networkLatency} ms` +
    (caps.privileged ? ', privileged' : '')
  );
}
