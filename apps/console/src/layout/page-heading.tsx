import { useEffect, useRef } from 'react';

/**
 * The page's one h1, which also names the document; it takes the focus when the page opens, so a
 * screen reader announces where a link led and keyboard users start from the top of the content.
 */
export function PageHeading(props: {
  readonly title: string;
  readonly children?: React.ReactNode;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.title} · Canopy`;
  }, [props.title]);
  useEffect(() => {
    heading.current?.focus({ preventScroll: true });
  }, []);
  return (
    <h1 ref={heading} tabIndex={-1}>
      {props.children ?? props.title}
    </h1>
  );
}
