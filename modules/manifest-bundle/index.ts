export { ManifestBundle, type KubernetesManifest, type ManifestBundleProps } from "./manifest-bundle";
