import { useCountdown } from '../hooks/useItems';

/** "{Name} is busy — retrying in N s" (or "resuming" for a sync), ticking down to `at`. */
export function RetryCountdown({ name, at, verb = 'retrying' }: { name: string; at: number; verb?: string }) {
  const seconds = useCountdown(at) ?? 0;
  return <>{`${name} is busy — ${verb} in ${seconds} s`}</>;
}
