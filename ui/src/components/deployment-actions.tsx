import { api } from '../api';
import type { RevisionSummary } from '../types';
import { ConfirmDialog } from './ui';

/** Confirms and sends `POST /api/v1/deployments/:name/rollback` (to the given revision, or the server's default). */
export function RollbackDialog({
  deployment,
  live,
  target,
  onClose,
  onDone,
}: {
  deployment: string;
  live: RevisionSummary;
  target: RevisionSummary | null;
  onClose: () => void;
  onDone: () => void;
}) {
  return (
    <ConfirmDialog
      title={`Roll back ${deployment}?`}
      confirmLabel={target ? `Roll back to revision ${target.revision}` : 'Roll back'}
      danger
      onClose={onClose}
      onConfirm={async (message) => {
        await api(`api/v1/deployments/${encodeURIComponent(deployment)}/rollback`, {
          method: 'POST',
          body: { ...(target ? { to: target.revision } : {}), ...(message ? { message } : {}) },
        });
        onDone();
      }}
    >
      <p>
        Live now: <b>revision {live.revision}</b> — {live.description}.
      </p>
      {target ? (
        <p>
          Traffic goes back to <b>revision {target.revision}</b> — {target.description} (made by{' '}
          {target.actor}
          {target.message ? `: “${target.message}”` : ''}). A new revision records the rollback; nothing is
          deleted.
        </p>
      ) : (
        <p>Traffic goes back to the last known-good revision.</p>
      )}
    </ConfirmDialog>
  );
}

/** Confirms and sends `POST /api/v1/deployments/:name/promote` (gates run on the server first). */
export function PromoteDialog({
  deployment,
  live,
  onClose,
  onDone,
}: {
  deployment: string;
  live: RevisionSummary;
  onClose: () => void;
  onDone: () => void;
}) {
  const candidate = live.targets.find((t) => t.role !== 'primary');
  return (
    <ConfirmDialog
      title={`Promote the candidate of ${deployment}?`}
      confirmLabel={candidate ? `Promote ${candidate.name}:${candidate.version}` : 'Promote'}
      onClose={onClose}
      onConfirm={async (message) => {
        await api(`api/v1/deployments/${encodeURIComponent(deployment)}/promote`, {
          method: 'POST',
          body: message ? { message } : {},
        });
        onDone();
      }}
    >
      <p>
        Live now: <b>revision {live.revision}</b> — {live.description}.
      </p>
      <p>
        {candidate ? (
          <>
            <b>
              {candidate.name}:{candidate.version}
            </b>{' '}
            ({candidate.role}, {candidate.weight}%) takes all traffic and the alias <code>champion</code>{' '}
            moves to it, after the deployment's promotion gates pass. A failed gate changes nothing and shows
            its report.
          </>
        ) : (
          'The live revision has no candidate to promote.'
        )}
      </p>
    </ConfirmDialog>
  );
}
