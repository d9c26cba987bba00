/** Sign in with a user name and password; nothing of the application is shown before. */
import { useState, type FormEvent } from 'react';
import { ApiError } from '../api.js';
import { signIn, type Me } from '../session.js';
import { Banner } from '../handling.js';

export function SignIn(props: { done: (me: Me) => void; notice: string }) {
  const [error, setError] = useState(props.notice);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError('');
    try {
      const me = await signIn(String(form.get('user') ?? ''), String(form.get('password') ?? ''));
      props.done(me);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'Wrong user name or password.' : (err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="frame">
      <Banner position="top" />
      <main className="signin">
        <h1>Shieldwall</h1>
        <p>Allied threat intelligence under need-to-know handling rules.</p>
        <form onSubmit={(e) => void submit(e)} aria-label="Sign in">
          <label htmlFor="user">User name</label>
          <input id="user" name="user" autoComplete="username" required maxLength={64} />
          <label htmlFor="password">Password</label>
          <input id="password" name="password" type="password" autoComplete="current-password" required maxLength={1024} />
          <button type="submit" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
          <p id="login-error" className="error" role="alert">
            {error}
          </p>
        </form>
      </main>
    </div>
  );
}
