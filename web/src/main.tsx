// The portal's shell: session, navigation, and the screen for the current path.
import { lazy, StrictMode, Suspense, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import './styles.css';
import { checkSession, currentSession, endActing, onSessionChange, signIn, signOut, ApiError } from './api';
import { t } from './i18n';
import { useLocation, navigate } from './router';
import { A } from './ui';
import { Avatar } from './pictures';
import { FilesScreen } from './screens/Files';
import { TrashScreen } from './screens/Trash';
import { LinksScreen } from './screens/Links';
import { TokensScreen } from './screens/Tokens';
import { LandingScreen } from './screens/Landing';
// Admin screens load when first opened: most people never see them.
const UsersScreen = lazy(() => import('./screens/Admin').then((m) => ({ default: m.UsersScreen })));
const AuditScreen = lazy(() => import('./screens/Admin').then((m) => ({ default: m.AuditScreen })));
const WebhooksScreen = lazy(() => import('./screens/Admin').then((m) => ({ default: m.WebhooksScreen })));
const CompaniesScreen = lazy(() => import('./screens/Org').then((m) => ({ default: m.CompaniesScreen })));
const MyCompanyScreen = lazy(() => import('./screens/Org').then((m) => ({ default: m.MyCompanyScreen })));
const UsageScreen = lazy(() => import('./screens/Org').then((m) => ({ default: m.UsageScreen })));
const LoginKeyScreen = lazy(() => import('./screens/LoginKey').then((m) => ({ default: m.LoginKeyScreen })));
const RegistrationsScreen = lazy(() => import('./screens/Admin').then((m) => ({ default: m.RegistrationsScreen })));
const GroupsScreen = lazy(() => import('./screens/Org').then((m) => ({ default: m.GroupsScreen })));
import { UploadPanel } from './screens/UploadPanel';
import { InboxScreen } from './screens/Sharing';
import { ResetScreen } from './screens/Reset';
import { ConfirmRegistrationScreen, RegisterScreen } from './screens/Register';
import { DirectoryScreen } from './screens/Directory';
import { AccountScreen } from './screens/Account';
import { uploader } from './upload/uploader';

function SignIn({ notice }: { notice?: string }) {
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  // Asked for once the server says the account has two-factor login.
  const [otp, setOtp] = useState<string>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const explain = (err: unknown) => {
    if (!(err instanceof ApiError)) return t.errors.generic;
    if (err.code === 'account_locked') return t.signIn.locked;
    if (err.code === 'invalid_otp') return t.signIn.wrongCode;
    if (err.status === 0) return t.errors.network;
    return t.signIn.failed;
  };
  return (
    <main id="main" className="signin">
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true); setError(undefined);
          try { await signIn(login, password, otp); }
          catch (err) {
            if (err instanceof ApiError && err.code === 'otp_required') setOtp('');
            else setError(explain(err));
          }
          finally { setBusy(false); }
        }}
      >
        <h1>{t.signIn.title}</h1>
        {notice ? <p role="status" className="notice">{notice}</p> : null}
        <label>{t.signIn.login}<input name="login" autoComplete="username" value={login} onChange={(e) => setLogin(e.target.value)} required /></label>
        <label>{t.signIn.password}<input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required /></label>
        {otp !== undefined ? (
          <label>{t.signIn.code}<input name="otp" autoComplete="one-time-code" inputMode="numeric" value={otp} onChange={(e) => setOtp(e.target.value)} required autoFocus /></label>
        ) : null}
        {otp !== undefined ? <p className="hint">{t.signIn.codeHint}</p> : null}
        {error ? <p role="alert" className="error">{error}</p> : null}
        <button type="submit" disabled={busy}>{t.signIn.submit}</button>
        <p><A href="/reset">{t.signIn.forgot}</A></p>
        <p><A href="/register">{t.signIn.register}</A></p>
      </form>
    </main>
  );
}

function App() {
  const { path, query } = useLocation();
  const [session, setSession] = useState(currentSession());
  const [notice, setNotice] = useState<string>();
  useEffect(() => onSessionChange((reason) => {
    setSession(currentSession());
    if (reason === 'expired') setNotice(t.signIn.expired);
    else if (reason === 'signedOut') setNotice(t.signIn.signedOut);
    else if (reason === 'actingEnded') setNotice(t.acting.expired);
    else if (reason !== 'refreshed') setNotice(undefined);
  }), []);
  useEffect(() => {
    if (!session) return;
    void checkSession();
    const timer = setInterval(() => void checkSession(), 30_000);
    const onFocus = () => void checkSession();
    window.addEventListener('focus', onFocus);
    return () => { clearInterval(timer); window.removeEventListener('focus', onFocus); };
  }, [session]);
  useEffect(() => {
    if (session) void uploader.restore((s) => !s.linkToken);
  }, [session]);

  if (path.startsWith('/s/')) return <LandingScreen token={decodeURIComponent(path.slice(3))} />;
  if (path === '/login-key') return <Suspense fallback={<p role="status">{t.loading}</p>}><LoginKeyScreen /></Suspense>;
  if (path === '/reset') return <ResetScreen token={query.get('token') ?? undefined} />;
  // The mailed confirmation link is /register?token=… (ferry-app's registrations).
  if ((path === '/register' || path === '/register/confirm') && query.get('token')) return <ConfirmRegistrationScreen token={query.get('token')!} />;
  if (path === '/register' && !session) return <RegisterScreen />;
  if (!session) return <SignIn notice={notice} />;
  // System admins manage everything; a company admin its own company (docs/organisations.md).
  const admin = session.user.role === 'admin';
  const companyAdmin = session.user.role === 'company_admin';
  // The directory lists what the caller's company shows it: nothing without a company.
  const inCompany = Boolean(session.user.company_id);
  const nav: [string, string][] = [['/', t.nav.files], ['/inbox', t.nav.inbox], ...(inCompany ? [['/directory', t.nav.directory] as [string, string]] : []), ['/trash', t.nav.trash], ['/links', t.nav.links], ['/tokens', t.nav.tokens], ['/account', t.nav.account]];
  if (admin) nav.push(['/admin/users', t.nav.users], ['/admin/registrations', t.nav.registrations], ['/admin/groups', t.nav.groups], ['/admin/companies', t.nav.companies], ['/admin/usage', t.nav.usage], ['/admin/audit', t.nav.audit], ['/admin/webhooks', t.nav.webhooks]);
  if (companyAdmin) nav.push(['/admin/users', t.nav.users], ['/admin/groups', t.nav.groups], ['/admin/company', t.nav.company], ['/admin/usage', t.nav.usage], ['/admin/audit', t.nav.audit]);
  const current = (href: string) => (href === '/' ? path === '/' || path.startsWith('/f/') || path === '/search' : path.startsWith(href));
  let screen;
  if (path === '/' || path.startsWith('/f/') || path === '/search') {
    const folderId = path.startsWith('/f/') ? path.slice(3) : undefined;
    screen = <FilesScreen folderId={folderId} query={path === '/search' ? query.get('q') ?? '' : undefined} />;
  } else if (path === '/trash') screen = <TrashScreen />;
  else if (path === '/inbox') screen = <InboxScreen />;
  else if (path === '/directory' && inCompany) screen = <DirectoryScreen />;
  else if (path === '/links') screen = <LinksScreen />;
  else if (path === '/tokens') screen = <TokensScreen />;
  else if (path === '/account') screen = <AccountScreen />;
  else if (path === '/admin/users' && (admin || companyAdmin)) screen = <UsersScreen />;
  else if (path === '/admin/registrations' && admin) screen = <RegistrationsScreen />;
  else if (path === '/admin/groups' && (admin || companyAdmin)) screen = <GroupsScreen />;
  else if (path === '/admin/companies' && admin) screen = <CompaniesScreen />;
  else if (path === '/admin/company' && companyAdmin) screen = <MyCompanyScreen />;
  else if (path === '/admin/usage' && (admin || companyAdmin)) screen = <UsageScreen />;
  else if (path === '/admin/audit' && (admin || companyAdmin)) screen = <AuditScreen />;
  else if (path === '/admin/webhooks' && admin) screen = <WebhooksScreen />;
  else { navigate('/', true); return null; }
  return (
    <>
      <a href="#main" className="skip">{t.skipToContent}</a>
      {session.actingAs ? (
        <div className="acting" role="region" aria-label={t.acting.label}>
          <span data-testid="acting-banner">{t.acting.banner(session.user.login)}</span>
          <button type="button" onClick={() => void endActing().then(() => navigate('/admin/users'))}>{t.acting.end}</button>
        </div>
      ) : null}
      {notice && !session.actingAs && notice === t.acting.expired ? <p role="status" className="notice">{notice}</p> : null}
      <header className="top">
        <A href="/" className="brand">{t.appName}</A>
        <nav aria-label={t.nav.main}>
          <ul>
            {nav.map(([href, label]) => (
              <li key={href}><a href={href} aria-current={current(href) ? 'page' : undefined} onClick={(e) => { e.preventDefault(); navigate(href); }}>{label}</a></li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <Avatar user={session.user} size={32} testId="me-avatar" />
          <span className="who-login">{session.user.login}</span>
          <button type="button" className="ghost" onClick={() => void signOut()}>{t.signIn.signOut}</button>
        </div>
      </header>
      <main id="main" tabIndex={-1}><Suspense fallback={<p role="status">{t.loading}</p>}>{screen}</Suspense></main>
      <UploadPanel />
    </>
  );
}

createRoot(document.getElementById('root')!).render(<StrictMode><App /></StrictMode>);
