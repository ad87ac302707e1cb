import type { ReactNode } from 'react';
import { Link, useLocation } from 'wouter';
import { useSession } from '../session/session-context.js';

const SECTIONS = [
  { path: '/tasks', label: 'Tasks' },
  { path: '/functions', label: 'Functions' },
  { path: '/nodes', label: 'Nodes' },
  { path: '/schedules', label: 'Schedules' },
  { path: '/metrics', label: 'Metrics' },
] as const;

export function ConsoleLayout(props: { readonly children: ReactNode }) {
  const { signOut } = useSession();
  const [location] = useLocation();
  return (
    <>
      <button
        type="button"
        className="skip-link"
        onClick={() => document.getElementById('main')?.focus()}
      >
        Skip to content
      </button>
      <header className="top">
        <span className="brand">Canopy</span>
        <nav aria-label="Sections">
          <ul>
            {SECTIONS.map((section) => {
              const current = location === section.path || location.startsWith(`${section.path}/`);
              return (
                <li key={section.path}>
                  <Link href={section.path} aria-current={current ? 'page' : undefined}>
                    {section.label}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
        <button type="button" className="sign-out" onClick={() => signOut('You are signed out.')}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {props.children}
      </main>
    </>
  );
}
