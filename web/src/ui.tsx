// Small shared pieces: a modal dialog (native <dialog>: focus trap and Escape for free), a
// status line for screen readers, links that route without a reload, a menu button.
import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { onLinkClick } from './router';
import { t } from './i18n';
import { ApiError } from './api';

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

export interface MenuItem { label: string; onSelect: () => void; danger?: boolean }

/**
 * A menu button (the WAI-ARIA menu button pattern): Enter, Space or ↓ opens the menu on its
 * first item, ↑ on its last; ↑ ↓ Home End and a first letter move; Enter or Space chooses;
 * Escape closes it and gives the focus back to the button; Tab or a click elsewhere closes it.
 */
export function MenuButton({ text, label, items }: { text: string; label: string; items: MenuItem[] }) {
  const [open, setOpen] = useState(false);
  const [focus, setFocus] = useState(0);
  const id = useId();
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLUListElement>(null);
  useEffect(() => {
    if (!open) return;
    menu.current?.querySelectorAll<HTMLElement>('[role="menuitem"]')[focus]?.focus();
  }, [open, focus]);
  useEffect(() => {
    if (!open) return;
    const away = (e: MouseEvent) => {
      if (!menu.current?.contains(e.target as Node) && !button.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', away);
    return () => document.removeEventListener('mousedown', away);
  }, [open]);
  const show = (at: number) => { setFocus(at); setOpen(true); };
  const close = (refocus: boolean) => { setOpen(false); if (refocus) button.current?.focus(); };
  const onButtonKey = (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown') { e.preventDefault(); show(0); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); show(items.length - 1); }
  };
  const onMenuKey = (e: KeyboardEvent) => {
    const n = items.length;
    let next: number | undefined;
    if (e.key === 'ArrowDown') next = (focus + 1) % n;
    else if (e.key === 'ArrowUp') next = (focus - 1 + n) % n;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = n - 1;
    else if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); close(true); return; }
    else if (e.key === 'Tab') { setOpen(false); return; }
    else if (e.key.length === 1 && /\S/.test(e.key)) {
      const k = e.key.toLowerCase();
      for (let i = 1; i <= n; i++) if (items[(focus + i) % n].label.toLowerCase().startsWith(k)) { next = (focus + i) % n; break; }
    }
    if (next !== undefined) { e.preventDefault(); setFocus(next); }
  };
  return (
    <span className="menu-wrap">
      <button ref={button} type="button" id={`${id}-button`} aria-label={label} aria-haspopup="menu" aria-expanded={open} aria-controls={open ? `${id}-menu` : undefined}
        onClick={() => (open ? close(false) : show(0))} onKeyDown={onButtonKey}>
        {text} <span aria-hidden="true">▾</span>
      </button>
      {open ? (
        <ul ref={menu} id={`${id}-menu`} role="menu" aria-labelledby={`${id}-button`} className="menu" onKeyDown={onMenuKey}>
          {items.map((item, i) => (
            <li key={item.label} role="none">
              <button type="button" role="menuitem" tabIndex={i === focus ? 0 : -1} className={item.danger ? 'danger' : undefined}
                onClick={() => { close(true); item.onSelect(); }} onMouseEnter={() => setFocus(i)}>{item.label}</button>
            </li>
          ))}
        </ul>
      ) : null}
    </span>
  );
}

/** An API error in words: the field it names (by its label in this form) and the server's message. */
export function explain(err: unknown, labels: Record<string, string> = {}): string {
  if (err instanceof ApiError) {
    if (err.status === 0) return t.errors.network;
    const field = err.field ?? (err.code === 'name_conflict' ? 'name' : undefined);
    const label = field ? labels[field] ?? labels[field.split('.').pop()!] ?? field : undefined;
    return label ? `${label}: ${err.message}` : err.message;
  }
  return (err as Error).message || t.errors.generic;
}

