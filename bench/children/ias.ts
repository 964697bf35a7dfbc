/**
 * Bench child: the IAS mock (attestkit `sim/`), which verifies the simulated EPID quotes and signs
 * attestation verification reports, in its own process so its RSA work is not counted as the SP's.
 *
 * @module
 */

import { SIM_EPID_GROUP_ID } from '../../src/enclave/index.ts';
import { createIasMock, type IasMock } from '../../src/sim/index.ts';
import { type ChildRequest, serveRequests } from '../lib/ipc.ts';

let mock: IasMock | undefined;

serveRequests({
  start: async (req: ChildRequest) => {
    mock = await createIasMock({
      simEpidPublicKey: req.groupPublicPem as string,
      epidGroupId: SIM_EPID_GROUP_ID,
    });
    return { url: mock.urls.v4, reportSigningCaPem: mock.reportSigningCaPem };
  },
  cpu: () => process.cpuUsage(),
});
