/** The Detection view (to be built). */
export function Detection() {
  return <h1>Detection</h1>;
}
