/** The Import view (to be built). */
export function Import() {
  return <h1>Import</h1>;
}
