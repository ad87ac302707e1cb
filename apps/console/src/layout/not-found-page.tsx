import { Link } from 'wouter';
import { PageHeading } from './page-heading.js';

export function NotFoundPage() {
  return (
    <>
      <PageHeading title="Not found" />
      <p>
        Nothing is here. <Link href="/tasks">Back to the tasks</Link>.
      </p>
    </>
  );
}
