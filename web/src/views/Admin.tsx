/** The Admin view (to be built). */
export function Admin() {
  return <h1>Admin</h1>;
}
