// Organisation admin: companies (system admins), a company admin's own company, groups with
// their members, and the policy editor used on companies, groups and users. Loaded only when
// an admin opens one of these screens.
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { ApiError, call, currentSession, formatBytes, formatTime, parseBytes } from '../api';
import { t } from '../i18n';
import { Dialog, explain, Status } from '../ui';
import { CompanyLogo, ImageEditor, ownImage } from '../pictures';

export interface Company {
  id: string; name: string; status: string; quota: { limit_bytes: number | null; used_bytes: number };
  default_user_quota_bytes: number | null; branding: { display_name: string; logo_url?: string; accent_color?: string }; created_at: string;
}
export interface Group { id: string; name: string; description: string; member_count: number; company_id?: string | null; created_at: string; updated_at: string }
interface Member { id: string; login: string; name: string }
interface Policy { can_download: boolean | null; can_upload: boolean | null; can_share_links: boolean | null; force_watermark: boolean | null; max_link_expires_in_secs: number | null; allowed_ip_ranges: string[] | null }

export { parseBytes };
const showBytes = (n: number | null | undefined) => (n == null ? '' : formatBytes(n));

export { explain };

/** Reads every page of a list. */
async function all<T>(path: string, key: string): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page: Record<string, unknown> = await call('GET', `${path}${sep}limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    out.push(...(page[key] as T[]));
    cursor = page.next_cursor as string | null;
  } while (cursor && out.length < 100_000);
  return out;
}
export const listCompanies = () => all<Company>('/companies', 'companies');

function Swatch({ color }: { color?: string }) {
  if (!color) return null;
  // An SVG attribute, not a style: the CSP allows no inline style.
  return <svg className="swatch" width="14" height="14" viewBox="0 0 14 14" aria-hidden="true"><rect width="14" height="14" rx="3" fill={color} stroke="#6b7280" /></svg>;
}

const companyLabels = () => ({ name: t.org.name, status: t.org.status, limit_bytes: t.org.quota, quota: t.org.quota, default_user_quota_bytes: t.org.defaultQuota, display_name: t.org.displayName, logo_url: t.org.logoUrl, accent_color: t.org.accentColor });

/** The fields of a company, for creating one or changing it. */
function CompanyForm({ company, submitLabel, onSaved, inline }: { company?: Company; submitLabel: string; onSaved: (c: Company) => void; inline?: boolean }) {
  const blank = { name: '', status: 'active', quota: '', defaultQuota: '', displayName: '', logoUrl: '', accentColor: '' };
  // An uploaded logo is Ferry's own address (`/api/v1/…`), not an external URL to edit here.
  const uploaded = ownImage(company?.branding.logo_url);
  const initial = company ? {
    name: company.name, status: company.status, quota: showBytes(company.quota.limit_bytes), defaultQuota: showBytes(company.default_user_quota_bytes),
    displayName: company.branding.display_name, logoUrl: uploaded ? '' : company.branding.logo_url ?? '', accentColor: company.branding.accent_color ?? '',
  } : blank;
  const [f, setF] = useState(initial);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  return (
    <form className={inline ? 'inline-form' : undefined} aria-label={submitLabel} onSubmit={async (e) => {
      e.preventDefault(); setError(undefined);
      const quota = parseBytes(f.quota), defaultQuota = parseBytes(f.defaultQuota);
      if (quota === undefined) { setError(`${t.org.quota}: ${t.org.badSize}`); return; }
      if (defaultQuota === undefined) { setError(`${t.org.defaultQuota}: ${t.org.badSize}`); return; }
      const body = {
        name: f.name.trim(), status: f.status, quota: { limit_bytes: quota }, default_user_quota_bytes: defaultQuota,
        branding: {
          ...(f.displayName.trim() ? { display_name: f.displayName.trim() } : {}),
          // Sent only when changed: absent keeps it (and an uploaded logo is not this field).
          ...(f.logoUrl.trim() !== initial.logoUrl ? { logo_url: f.logoUrl.trim() || null } : {}),
          accent_color: f.accentColor.trim() || null,
        },
      };
      setBusy(true);
      try {
        const saved = await call<Company>(company ? 'PATCH' : 'POST', company ? `/companies/${company.id}` : '/companies', body);
        if (!company) setF(blank);
        onSaved(saved);
      } catch (err) { setError(explain(err, companyLabels())); }
      finally { setBusy(false); }
    }}>
      <label>{t.org.name}<input value={f.name} onChange={set('name')} required maxLength={255} /></label>
      <label>{t.org.status}<select value={f.status} onChange={set('status')}>{['active', 'inactive', 'expired'].map((s) => <option key={s} value={s}>{t.org.statuses[s]}</option>)}</select></label>
      <label>{t.org.quota}<input value={f.quota} onChange={set('quota')} placeholder={t.org.sizeHint} /></label>
      <label>{t.org.defaultQuota}<input value={f.defaultQuota} onChange={set('defaultQuota')} placeholder={t.org.sizeHint} /></label>
      <label>{t.org.displayName}<input value={f.displayName} onChange={set('displayName')} placeholder={t.org.displayNameHint} maxLength={255} /></label>
      <label>{t.org.logoUrl}<input type="url" value={f.logoUrl} onChange={set('logoUrl')} placeholder="https://" aria-describedby={inline ? undefined : 'logo-url-hint'} /></label>
      {inline ? null : <p className="hint" id="logo-url-hint">{uploaded ? t.org.logoUploadedHint : t.org.logoUrlHint}</p>}
      <label>{t.org.accentColor}<input value={f.accentColor} onChange={set('accentColor')} placeholder="#1d4ed8" pattern="#[0-9A-Fa-f]{6}" title="#rrggbb" /></label>
      {error ? <p role="alert" className="error">{error}</p> : null}
      <div className={inline ? undefined : 'actions'}><button type="submit" disabled={busy}>{submitLabel}</button></div>
    </form>
  );
}

/** Uploads or removes a company's logo (`PUT`/`DELETE /companies/{id}/logo`): system admins and the company's admins. */
function LogoEditor({ company, onChanged }: { company: Company; onChanged: (c: Company) => void }) {
  const logo = ownImage(company.branding.logo_url) ? company.branding.logo_url : undefined;
  return (
    <ImageEditor title={t.pictures.logoFor(company.name)} chooseLabel={t.pictures.chooseLogo} hasImage={Boolean(logo)} testId="company-logo"
      current={logo ? <CompanyLogo key={logo} url={logo} name={company.name} /> : <span className="muted">{t.pictures.noLogo}</span>}
      onUpload={async (file) => onChanged(await call<Company>('PUT', `/companies/${company.id}/logo`, file))}
      onRemove={async () => { await call('DELETE', `/companies/${company.id}/logo`); onChanged(await call<Company>('GET', `/companies/${company.id}`)); }} />
  );
}

function LogoDialog({ company, onChanged, onClose }: { company: Company; onChanged: () => void; onClose: () => void }) {
  const [c, setC] = useState(company);
  return (
    <Dialog title={t.pictures.logoFor(company.name)} onClose={onClose}>
      <p className="hint">{t.pictures.logoHelp}</p>
      <LogoEditor company={c} onChanged={(next) => { setC(next); onChanged(); }} />
    </Dialog>
  );
}

type Tri = '' | 'true' | 'false';
const tri = (v: boolean | null | undefined): Tri => (v == null ? '' : v ? 'true' : 'false');
const untri = (v: Tri) => (v === '' ? null : v === 'true');

/** Reads and replaces the policy on a company, a group or a user. */
export function PolicyDialog({ kind, id, name, onClose }: { kind: 'company' | 'group' | 'user'; id: string; name: string; onClose: () => void }) {
  const [p, setP] = useState<{ download: Tri; upload: Tri; links: Tri; watermark: Tri; expires: string; ranges: string }>();
  const [error, setError] = useState<string>();
  const [message, setMessage] = useState<string>();
  useEffect(() => {
    call<Policy>('GET', `/policies/${kind}/${id}`).then((r) => setP({
      download: tri(r.can_download), upload: tri(r.can_upload), links: tri(r.can_share_links), watermark: tri(r.force_watermark),
      expires: r.max_link_expires_in_secs?.toString() ?? '', ranges: (r.allowed_ip_ranges ?? []).join('\n'),
    }), (e) => setError(explain(e)));
  }, [kind, id]);
  const labels = { can_download: t.org.canDownload, can_upload: t.org.canUpload, can_share_links: t.org.canShareLinks, force_watermark: t.org.forceWatermark, max_link_expires_in_secs: t.org.maxExpiry, allowed_ip_ranges: t.org.ipRanges };
  const rule = (k: 'download' | 'upload' | 'links', label: string) => p ? (
    <label>{label}
      <select value={p[k]} onChange={(e) => setP({ ...p, [k]: e.target.value as Tri })}>
        <option value="">{t.org.notSet}</option><option value="true">{t.org.allowed}</option><option value="false">{t.org.refused}</option>
      </select>
    </label>
  ) : null;
  return (
    <Dialog title={t.org.policyFor(name)} onClose={onClose}>
      <p className="hint">{t.org.policyHelp}</p>
      {p ? (
        <form aria-label={t.org.policy} onSubmit={async (e) => {
          e.preventDefault(); setError(undefined); setMessage(undefined);
          const expires = p.expires.trim();
          if (expires && !/^\d+$/.test(expires)) { setError(`${t.org.maxExpiry}: ${t.org.badNumber}`); return; }
          const ranges = p.ranges.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
          try {
            await call('PUT', `/policies/${kind}/${id}`, {
              can_download: untri(p.download), can_upload: untri(p.upload), can_share_links: untri(p.links), force_watermark: untri(p.watermark),
              max_link_expires_in_secs: expires ? Number(expires) : null, allowed_ip_ranges: ranges.length ? ranges : null,
            });
            setMessage(t.org.policySaved);
          } catch (err) { setError(explain(err, labels)); }
        }}>
          {rule('download', t.org.canDownload)}
          {rule('upload', t.org.canUpload)}
          {rule('links', t.org.canShareLinks)}
          <label>{t.org.forceWatermark}
            <select value={p.watermark} onChange={(e) => setP({ ...p, watermark: e.target.value as Tri })}>
              <option value="">{t.org.notSet}</option><option value="true">{t.org.forced}</option><option value="false">{t.org.notForced}</option>
            </select>
          </label>
          <label>{t.org.maxExpiry}<input inputMode="numeric" value={p.expires} onChange={(e) => setP({ ...p, expires: e.target.value })} /></label>
          <label>{t.org.ipRanges}<textarea rows={3} value={p.ranges} onChange={(e) => setP({ ...p, ranges: e.target.value })} placeholder="10.0.0.0/8" /></label>
          <Status message={message} error={error} />
          <div className="actions"><button type="submit">{t.org.savePolicy}</button></div>
        </form>
      ) : <Status error={error} />}
    </Dialog>
  );
}

function Confirm({ title, text, action, onConfirm, onClose }: { title: string; text: ReactNode; action: string; onConfirm: () => Promise<void>; onClose: () => void }) {
  const [error, setError] = useState<string>();
  return (
    <Dialog title={title} onClose={onClose}>
      <form onSubmit={async (e) => { e.preventDefault(); setError(undefined); try { await onConfirm(); } catch (err) { setError(explain(err)); } }}>
        <p>{text}</p>
        {error ? <p role="alert" className="error">{error}</p> : null}
        <div className="actions"><button type="submit" className="danger">{action}</button></div>
      </form>
    </Dialog>
  );
}

function CompanyRow({ c, onEdit, onLogo, onPolicy, onDelete }: { c: Company; onEdit?: () => void; onLogo?: () => void; onPolicy: () => void; onDelete?: () => void }) {
  return (
    <tr data-company={c.name}>
      <td><span className="company-name">{ownImage(c.branding.logo_url) ? <CompanyLogo key={c.branding.logo_url} url={c.branding.logo_url} name={c.name} className="small" decorative /> : null}<Swatch color={c.branding.accent_color} /> <span>{c.name}</span></span>{c.branding.display_name !== c.name ? <span className="muted small"> ({c.branding.display_name})</span> : null}</td>
      <td>{t.org.statuses[c.status] ?? c.status}</td>
      <td className="num">{formatBytes(c.quota.used_bytes)} / {c.quota.limit_bytes == null ? '∞' : formatBytes(c.quota.limit_bytes)}</td>
      <td className="num wide">{c.default_user_quota_bytes == null ? '—' : formatBytes(c.default_user_quota_bytes)}</td>
      <td className="wide">{formatTime(c.created_at)}</td>
      <td className="nowrap">
        {onEdit ? <><button type="button" aria-label={`${t.org.edit} ${c.name}`} onClick={onEdit}>{t.org.edit}</button>{' '}</> : null}
        {onLogo ? <><button type="button" aria-label={`${t.pictures.logo} ${c.name}`} onClick={onLogo}>{t.pictures.logo}</button>{' '}</> : null}
        <button type="button" aria-label={`${t.org.policy} ${c.name}`} onClick={onPolicy}>{t.org.policy}</button>{' '}
        {onDelete ? <button type="button" className="danger" aria-label={`${t.org.delete} ${c.name}`} onClick={onDelete}>{t.org.delete}</button> : null}
      </td>
    </tr>
  );
}

const companyHead = (
  <thead><tr><th scope="col">{t.org.name}</th><th scope="col">{t.org.status}</th><th scope="col" className="num">{t.org.used}</th><th scope="col" className="num wide">{t.org.defaultQuota}</th><th scope="col" className="wide">{t.org.created}</th><th scope="col">{t.files.actions}</th></tr></thead>
);

/** System admins: every company; create, change (status, quotas, branding), policy, delete. */
export function CompaniesScreen() {
  const [companies, setCompanies] = useState<Company[]>();
  const [error, setError] = useState<string>();
  const [message, setMessage] = useState<string>();
  const [dialog, setDialog] = useState<null | { kind: 'edit' | 'logo' | 'policy' | 'delete'; company: Company }>(null);
  const load = useCallback(async () => {
    try { setCompanies(await listCompanies()); } catch (e) { setError(explain(e)); }
  }, []);
  useEffect(() => { void load(); }, [load]);
  return (
    <section aria-labelledby="companies-title">
      <h1 id="companies-title">{t.org.companies}</h1>
      <p className="hint">{t.org.companiesHelp}</p>
      <CompanyForm inline submitLabel={t.org.createCompany} onSaved={(c) => { setMessage(t.org.created_(c.name)); void load(); }} />
      <Status message={message} error={error} />
      {companies && !companies.length ? <p className="empty">{t.org.noCompanies}</p> : null}
      {companies?.length ? (
        <table className="list">
          {companyHead}
          <tbody>
            {companies.map((c) => (
              <CompanyRow key={c.id} c={c} onEdit={() => setDialog({ kind: 'edit', company: c })} onLogo={() => setDialog({ kind: 'logo', company: c })} onPolicy={() => setDialog({ kind: 'policy', company: c })} onDelete={() => setDialog({ kind: 'delete', company: c })} />
            ))}
          </tbody>
        </table>
      ) : null}
      {dialog?.kind === 'edit' ? (
        <Dialog title={`${t.org.edit} ${dialog.company.name}`} onClose={() => setDialog(null)}>
          <CompanyForm company={dialog.company} submitLabel={t.admin.save} onSaved={(c) => { setDialog(null); setMessage(t.org.saved_(c.name)); void load(); }} />
        </Dialog>
      ) : null}
      {dialog?.kind === 'logo' ? <LogoDialog company={dialog.company} onClose={() => setDialog(null)} onChanged={() => void load()} /> : null}
      {dialog?.kind === 'policy' ? <PolicyDialog kind="company" id={dialog.company.id} name={dialog.company.name} onClose={() => setDialog(null)} /> : null}
      {dialog?.kind === 'delete' ? (
        <Confirm title={t.org.deleteCompany} text={<><strong>{dialog.company.name}</strong>: {t.org.deleteCompanyHelp}</>} action={`${t.org.delete} ${dialog.company.name}`}
          onClose={() => setDialog(null)}
          onConfirm={async () => { await call('DELETE', `/companies/${dialog.company.id}`); setDialog(null); setMessage(t.org.deleted_(dialog.company.name)); await load(); }} />
      ) : null}
    </section>
  );
}

/** A company admin: its own company (read only here) and its policy. */
export function MyCompanyScreen() {
  const [company, setCompany] = useState<Company>();
  const [error, setError] = useState<string>();
  const [policy, setPolicy] = useState(false);
  useEffect(() => {
    (async () => {
      const me = await call<{ company_id: string | null }>('GET', '/me');
      if (!me.company_id) { setError(t.org.noCompany); return; }
      setCompany(await call<Company>('GET', `/companies/${me.company_id}`));
    })().catch((e) => setError(explain(e)));
  }, []);
  return (
    <section aria-labelledby="company-title">
      <h1 id="company-title">{company ? company.branding.display_name : t.org.company}</h1>
      <Status error={error} />
      {company ? (
        <>
          <dl className="details">
            <dt>{t.org.name}</dt><dd>{company.name}</dd>
            <dt>{t.org.status}</dt><dd>{t.org.statuses[company.status] ?? company.status}</dd>
            <dt>{t.org.used}</dt><dd>{formatBytes(company.quota.used_bytes)} / {company.quota.limit_bytes == null ? '∞' : formatBytes(company.quota.limit_bytes)}</dd>
            <dt>{t.org.defaultQuota}</dt><dd>{company.default_user_quota_bytes == null ? '—' : formatBytes(company.default_user_quota_bytes)}</dd>
            <dt>{t.org.accentColor}</dt><dd>{company.branding.accent_color ? <><Swatch color={company.branding.accent_color} /> {company.branding.accent_color}</> : '—'}</dd>
          </dl>
          <p className="hint">{t.org.askSystemAdmin}</p>
          <section aria-labelledby="logo-title">
            <h2 id="logo-title">{t.pictures.logo}</h2>
            <p className="hint">{t.pictures.logoHelp}</p>
            <LogoEditor company={company} onChanged={setCompany} />
          </section>
          <div className="toolbar actions"><button type="button" onClick={() => setPolicy(true)}>{t.org.companyPolicy}</button></div>
          {policy ? <PolicyDialog kind="company" id={company.id} name={company.name} onClose={() => setPolicy(false)} /> : null}
        </>
      ) : null}
    </section>
  );
}

/** Finds a user's id from a login (or takes an id as it is). */
async function userId(login: string): Promise<string> {
  if (/^usr_/.test(login)) return login;
  const r = await call<{ users: { id: string; login: string }[] }>('GET', `/users?q=${encodeURIComponent(login)}&limit=100`);
  const hit = r.users.find((u) => u.login.toLowerCase() === login.toLowerCase());
  if (!hit) throw new Error(t.org.noSuchUser(login));
  return hit.id;
}

function MembersDialog({ group, onClose, onChanged }: { group: Group; onClose: () => void; onChanged: () => void }) {
  const [members, setMembers] = useState<Member[]>();
  const [login, setLogin] = useState('');
  const [error, setError] = useState<string>();
  const [message, setMessage] = useState<string>();
  const load = useCallback(async () => {
    try { setMembers(await all<Member>(`/groups/${group.id}/members`, 'members')); } catch (e) { setError(explain(e)); }
  }, [group.id]);
  useEffect(() => { void load(); }, [load]);
  const act = async (fn: () => Promise<unknown>, done: string) => {
    setError(undefined); setMessage(undefined);
    try { await fn(); setMessage(done); onChanged(); } catch (e) { setError(explain(e)); }
    await load();
  };
  return (
    <Dialog title={t.org.membersOf(group.name)} onClose={onClose}>
      <form className="inline-form" aria-label={t.org.addMember} onSubmit={(e) => {
        e.preventDefault();
        const who = login.trim();
        void act(async () => { await call('PUT', `/groups/${group.id}/members/${await userId(who)}`); setLogin(''); }, t.org.memberAdded(who));
      }}>
        <label>{t.org.memberLogin}<input value={login} onChange={(e) => setLogin(e.target.value)} required /></label>
        <button type="submit">{t.org.addMember}</button>
      </form>
      <Status message={message} error={error} />
      {members && !members.length ? <p className="empty">{t.org.noMembers}</p> : null}
      {members?.length ? (
        <table className="list">
          <thead><tr><th scope="col">{t.admin.login}</th><th scope="col">{t.admin.name}</th><th scope="col">{t.files.actions}</th></tr></thead>
          <tbody>
            {members.map((m) => (
              <tr key={m.id}><td>{m.login}</td><td>{m.name}</td>
                <td><button type="button" className="danger" aria-label={`${t.org.removeMember} ${m.login}`} onClick={() => void act(() => call('DELETE', `/groups/${group.id}/members/${m.id}`), t.org.memberRemoved(m.login))}>{t.org.removeMember}</button></td></tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </Dialog>
  );
}

function GroupForm({ group, onSaved }: { group?: Group; onSaved: (g: Group) => void }) {
  const [name, setName] = useState(group?.name ?? '');
  const [description, setDescription] = useState(group?.description ?? '');
  const [error, setError] = useState<string>();
  return (
    <form className={group ? undefined : 'inline-form'} aria-label={group ? t.admin.save : t.org.createGroup} onSubmit={async (e) => {
      e.preventDefault(); setError(undefined);
      try {
        const g = await call<Group>(group ? 'PATCH' : 'POST', group ? `/groups/${group.id}` : '/groups', { name: name.trim(), description });
        if (!group) { setName(''); setDescription(''); }
        onSaved(g);
      } catch (err) { setError(explain(err, { name: t.org.name, description: t.org.description })); }
    }}>
      <label>{t.org.name}<input value={name} onChange={(e) => setName(e.target.value)} required maxLength={255} /></label>
      <label>{t.org.description}<input value={description} onChange={(e) => setDescription(e.target.value)} /></label>
      {error ? <p role="alert" className="error">{error}</p> : null}
      <div className={group ? 'actions' : undefined}><button type="submit">{group ? t.admin.save : t.org.createGroup}</button></div>
    </form>
  );
}

/** Groups: all of them (system admins) or the company's (company admins); members, policy. */
export function GroupsScreen() {
  const [groups, setGroups] = useState<Group[]>();
  const [companies, setCompanies] = useState<Map<string, string>>(new Map());
  const [error, setError] = useState<string>();
  const [message, setMessage] = useState<string>();
  const [dialog, setDialog] = useState<null | { kind: 'edit' | 'members' | 'policy' | 'delete'; group: Group }>(null);
  const systemAdmin = currentSession()?.user.role === 'admin';
  const load = useCallback(async () => {
    try { setGroups(await all<Group>('/groups', 'groups')); } catch (e) { setError(explain(e)); }
  }, []);
  useEffect(() => {
    void load();
    if (systemAdmin) listCompanies().then((cs) => setCompanies(new Map(cs.map((c) => [c.id, c.name]))), () => undefined);
  }, [load, systemAdmin]);
  return (
    <section aria-labelledby="groups-title">
      <h1 id="groups-title">{t.org.groups}</h1>
      <GroupForm onSaved={(g) => { setMessage(t.org.created_(g.name)); void load(); }} />
      <Status message={message} error={error} />
      {groups && !groups.length ? <p className="empty">{t.org.noGroups}</p> : null}
      {groups?.length ? (
        <table className="list">
          <thead><tr><th scope="col">{t.org.name}</th><th scope="col" className="wide">{t.org.description}</th><th scope="col" className="num">{t.org.members}</th>{systemAdmin ? <th scope="col" className="wide">{t.org.company}</th> : null}<th scope="col">{t.files.actions}</th></tr></thead>
          <tbody>
            {groups.map((g) => (
              <tr key={g.id} data-group={g.name}>
                <td>{g.name}</td>
                <td className="wide">{g.description}</td>
                <td className="num">{g.member_count}</td>
                {systemAdmin ? <td className="wide">{g.company_id ? companies.get(g.company_id) ?? g.company_id : '—'}</td> : null}
                <td className="nowrap">
                  <button type="button" aria-label={`${t.org.members} ${g.name}`} onClick={() => setDialog({ kind: 'members', group: g })}>{t.org.members}</button>{' '}
                  <button type="button" aria-label={`${t.org.edit} ${g.name}`} onClick={() => setDialog({ kind: 'edit', group: g })}>{t.org.edit}</button>{' '}
                  <button type="button" aria-label={`${t.org.policy} ${g.name}`} onClick={() => setDialog({ kind: 'policy', group: g })}>{t.org.policy}</button>{' '}
                  <button type="button" className="danger" aria-label={`${t.org.delete} ${g.name}`} onClick={() => setDialog({ kind: 'delete', group: g })}>{t.org.delete}</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {dialog?.kind === 'members' ? <MembersDialog group={dialog.group} onClose={() => setDialog(null)} onChanged={() => void load()} /> : null}
      {dialog?.kind === 'edit' ? (
        <Dialog title={`${t.org.edit} ${dialog.group.name}`} onClose={() => setDialog(null)}>
          <GroupForm group={dialog.group} onSaved={(g) => { setDialog(null); setMessage(t.org.saved_(g.name)); void load(); }} />
        </Dialog>
      ) : null}
      {dialog?.kind === 'policy' ? <PolicyDialog kind="group" id={dialog.group.id} name={dialog.group.name} onClose={() => setDialog(null)} /> : null}
      {dialog?.kind === 'delete' ? (
        <Confirm title={t.org.deleteGroup} text={<><strong>{dialog.group.name}</strong>: {t.org.deleteGroupHelp}</>} action={`${t.org.delete} ${dialog.group.name}`}
          onClose={() => setDialog(null)}
          onConfirm={async () => { await call('DELETE', `/groups/${dialog.group.id}`); setDialog(null); setMessage(t.org.deleted_(dialog.group.name)); await load(); }} />
      ) : null}
    </section>
  );
}

interface UsagePeriod { start: string; end: string; uploads: number; upload_bytes: number; downloads: number; download_bytes: number; active_users: number }
interface Usage { interval: string; company_id: string | null; from: string; to: string; periods: UsagePeriod[]; now: { stored_bytes: number; files: number; users: number; uploads_in_flight: number } }

/** Bytes in and out per period as bars (SVG attributes only: the CSP allows no inline style). */
function UsageChart({ periods }: { periods: UsagePeriod[] }) {
  const max = Math.max(1, ...periods.map((p) => Math.max(p.upload_bytes, p.download_bytes)));
  const w = 10, h = 100;
  const inBytes = periods.reduce((n, p) => n + p.upload_bytes, 0), outBytes = periods.reduce((n, p) => n + p.download_bytes, 0);
  return (
    <figure className="usage-chart">
      <svg viewBox={`0 0 ${periods.length * w} ${h}`} preserveAspectRatio="none" role="img" aria-label={t.org.chartLabel(formatBytes(inBytes), formatBytes(outBytes))}>
        {periods.map((p, i) => {
          const up = (p.upload_bytes / max) * (h - 2), down = (p.download_bytes / max) * (h - 2);
          return (
            <g key={p.start}>
              <rect x={i * w + 1} y={h - up} width={w / 2 - 1} height={up} fill="#1d4ed8" />
              <rect x={i * w + w / 2} y={h - down} width={w / 2 - 1} height={down} fill="#f59e0b" />
            </g>
          );
        })}
      </svg>
      <figcaption className="small muted"><span className="key key-in" aria-hidden="true" /> {t.org.bytesIn} <span className="key key-out" aria-hidden="true" /> {t.org.bytesOut}</figcaption>
    </figure>
  );
}

/** Usage analytics (GET /analytics/usage): the installation or one company (system admins), a company admin's own. */
export function UsageScreen() {
  const systemAdmin = currentSession()?.user.role === 'admin';
  const [per, setPer] = useState('day');
  const [company, setCompany] = useState('');
  const [companies, setCompanies] = useState<Company[]>([]);
  const [usage, setUsage] = useState<Usage>();
  const [error, setError] = useState<string>();
  useEffect(() => { if (systemAdmin) listCompanies().then(setCompanies, () => undefined); }, [systemAdmin]);
  useEffect(() => {
    setError(undefined);
    const q = new URLSearchParams({ interval: per });
    if (company) q.set('company_id', company);
    call<Usage>('GET', `/analytics/usage?${q}`).then(setUsage, (e) => setError(explain(e)));
  }, [per, company]);
  const busy = usage?.periods.filter((p) => p.uploads || p.downloads || p.active_users).reverse() ?? [];
  // Periods are the last 30 hours, days or weeks up to now, not calendar days: show both ends.
  const when = (p: UsagePeriod) => `${formatTime(p.start)} – ${formatTime(p.end)}`;
  return (
    <section aria-labelledby="usage-title">
      <h1 id="usage-title">{t.org.usage}</h1>
      <div className="inline-form">
        <label>{t.org.interval}<select value={per} onChange={(e) => setPer(e.target.value)}>
          {Object.entries(t.org.intervals).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
        </select></label>
        {systemAdmin ? (
          <label>{t.org.company}<select value={company} onChange={(e) => setCompany(e.target.value)}>
            <option value="">{t.org.wholeInstallation}</option>
            {companies.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
          </select></label>
        ) : null}
      </div>
      <Status error={error} />
      {usage ? (
        <>
          <h2>{t.org.now}</h2>
          <dl className="details" data-testid="usage-now">
            <dt>{t.org.stored}</dt><dd>{formatBytes(usage.now.stored_bytes)}</dd>
            <dt>{t.org.files}</dt><dd>{usage.now.files}</dd>
            <dt>{t.org.accounts}</dt><dd>{usage.now.users}</dd>
            <dt>{t.org.inFlight}</dt><dd>{usage.now.uploads_in_flight}</dd>
          </dl>
          <h2>{t.org.history(usage.periods.length, t.org.intervals[usage.interval] ?? usage.interval)}</h2>
          <UsageChart periods={usage.periods} />
          {busy.length ? (
            <table className="list" data-testid="usage-periods">
              <thead><tr><th scope="col">{t.org.period}</th><th scope="col" className="num">{t.org.uploads}</th><th scope="col" className="num">{t.org.bytesIn}</th><th scope="col" className="num">{t.org.downloads}</th><th scope="col" className="num">{t.org.bytesOut}</th><th scope="col" className="num">{t.org.activeUsers}</th></tr></thead>
              <tbody>
                {busy.map((p) => (
                  <tr key={p.start}><td>{when(p)}</td><td className="num">{p.uploads}</td><td className="num">{formatBytes(p.upload_bytes)}</td><td className="num">{p.downloads}</td><td className="num">{formatBytes(p.download_bytes)}</td><td className="num">{p.active_users}</td></tr>
                ))}
              </tbody>
            </table>
          ) : <p className="empty">{t.org.quiet}</p>}
          <p className="hint">{t.org.quietLeftOut}</p>
        </>
      ) : null}
    </section>
  );
}
