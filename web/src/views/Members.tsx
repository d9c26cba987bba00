/** The Members view (to be built). */
export function Members() {
  return <h1>Members</h1>;
}
