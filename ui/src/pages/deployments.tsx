import { useState } from 'preact/hooks';
import { RollbackDialog } from '../components/deployment-actions';
import { Async, Card, Empty } from '../components/ui';
import { useApi } from '../hooks';
import type { Overview, OverviewDeployment } from '../types';
import { DeploymentsTable } from './overview';

export function DeploymentsPage() {
  const state = useApi<Overview>('api/v1/dashboard/overview', 15_000);
  const [rollback, setRollback] = useState<OverviewDeployment | null>(null);
  return (
    <div class="page" data-testid="page-deployments">
      <div class="page-head">
        <h1>Deployments</h1>
        <span class="muted">named endpoints: call /v2/models/NAME/infer; each change is a new revision</span>
      </div>
      <Async state={state}>
        {(o) => (
          <Card title={`${o.deployments.length} deployments`}>
            {o.deployments.length === 0 ? (
              <Empty>
                No deployment yet. <code>slipway deploy create NAME --model MODEL</code> makes one.
              </Empty>
            ) : (
              <DeploymentsTable deployments={o.deployments} onRollback={setRollback} />
            )}
          </Card>
        )}
      </Async>
      {rollback ? (
        <RollbackDialog
          deployment={rollback.name}
          live={rollback.live}
          target={rollback.rollback_to}
          onClose={() => setRollback(null)}
          onDone={state.reload}
        />
      ) : null}
    </div>
  );
}
