// Small shared pieces: a modal dialog (native <dialog>: focus trap and Escape for free), a
// status line for screen readers, links that route without a reload.
import { useEffect, useRef, type ReactNode } from 'react';
import { onLinkClick } from './router';
import { t } from './i18n';

export function Dialog({ title, onClose, children }: { title: string; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current!;
    if (!d.open) d.showModal();
    const close = () => onClose();
    d.addEventListener('close', close);
    return () => d.removeEventListener('close', close);
  }, [onClose]);
  return (
    <dialog ref={ref} aria-labelledby="dialog-title" className="dialog">
      <div className="dialog-head">
        <h2 id="dialog-title">{title}</h2>
        <button type="button" className="ghost" onClick={() => ref.current?.close()} aria-label={t.files.close}>×</button>
      </div>
      {children}
    </dialog>
  );
}

export function A({ href, children, className }: { href: string; children: ReactNode; className?: string }) {
  return <a href={href} onClick={onLinkClick} className={className}>{children}</a>;
}

export function Status({ message, error }: { message?: string; error?: string }) {
  return (
    <>
      <p role="status" className="status">{message ?? ''}</p>
      {error ? <p role="alert" className="error">{error}</p> : null}
    </>
  );
}
