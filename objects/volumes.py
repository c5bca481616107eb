"""Pod volumes and every volume source Kubernetes defines.

The sources tinykube's kubelet can provide (emptyDir, hostPath, configMap,
secret, downwardAPI, projected) come first. The in-tree storage drivers at the
end are deprecated or removed from the upstream kubelet too; they are modelled
only so manifests naming them validate and round-trip.
"""

from __future__ import annotations

from pydantic import Field

from objects.base import K8sModel
from objects.container import ObjectFieldSelector, ResourceFieldSelector
from objects.meta import LabelSelector, LocalObjectReference, ObjectMeta
from objects.quantity import Quantity


class Volume(K8sModel):
    """A named volume of a pod; exactly one source field is set."""

    aws_elastic_block_store: AWSElasticBlockStoreVolumeSource | None = None
    azure_disk: AzureDiskVolumeSource | None = None
    azure_file: AzureFileVolumeSource | None = None
    cephfs: CephFSVolumeSource | None = None
    cinder: CinderVolumeSource | None = None
    config_map: ConfigMapVolumeSource | None = None
    csi: CSIVolumeSource | None = None
    downward_api: DownwardAPIVolumeSource | None = Field(default=None, alias="downwardAPI")
    empty_dir: EmptyDirVolumeSource | None = None
    ephemeral: EphemeralVolumeSource | None = None
    fc: FCVolumeSource | None = None
    flex_volume: FlexVolumeSource | None = None
    flocker: FlockerVolumeSource | None = None
    gce_persistent_disk: GCEPersistentDiskVolumeSource | None = None
    git_repo: GitRepoVolumeSource | None = None
    glusterfs: GlusterfsVolumeSource | None = None
    host_path: HostPathVolumeSource | None = None
    image: ImageVolumeSource | None = None
    iscsi: ISCSIVolumeSource | None = None
    name: str | None = None
    nfs: NFSVolumeSource | None = None
    persistent_volume_claim: PersistentVolumeClaimVolumeSource | None = None
    photon_persistent_disk: PhotonPersistentDiskVolumeSource | None = None
    portworx_volume: PortworxVolumeSource | None = None
    projected: ProjectedVolumeSource | None = None
    quobyte: QuobyteVolumeSource | None = None
    rbd: RBDVolumeSource | None = None
    scale_io: ScaleIOVolumeSource | None = Field(default=None, alias="scaleIO")
    secret: SecretVolumeSource | None = None
    storageos: StorageOSVolumeSource | None = None
    vsphere_volume: VsphereVirtualDiskVolumeSource | None = None


class HostPathVolumeSource(K8sModel):
    path: str | None = None
    type: str | None = None


class EmptyDirVolumeSource(K8sModel):
    medium: str | None = None
    mode: int | None = None
    size_limit: Quantity | None = None


class ConfigMapVolumeSource(K8sModel):
    default_mode: int | None = None
    default_user: int | None = None
    items: list[KeyToPath] | None = None
    name: str | None = None
    optional: bool | None = None


class SecretVolumeSource(K8sModel):
    default_mode: int | None = None
    default_user: int | None = None
    items: list[KeyToPath] | None = None
    optional: bool | None = None
    secret_name: str | None = None


class KeyToPath(K8sModel):
    key: str | None = None
    mode: int | None = None
    path: str | None = None
    user: int | None = None


class DownwardAPIVolumeSource(K8sModel):
    default_mode: int | None = None
    default_user: int | None = None
    items: list[DownwardAPIVolumeFile] | None = None


class DownwardAPIVolumeFile(K8sModel):
    field_ref: ObjectFieldSelector | None = None
    mode: int | None = None
    path: str | None = None
    resource_field_ref: ResourceFieldSelector | None = None
    user: int | None = None


class ProjectedVolumeSource(K8sModel):
    """Several sources (secrets, configMaps, downward API, service account token) merged into one directory."""

    default_mode: int | None = None
    default_user: int | None = None
    sources: list[VolumeProjection] | None = None


class VolumeProjection(K8sModel):
    cluster_trust_bundle: ClusterTrustBundleProjection | None = None
    config_map: ConfigMapProjection | None = None
    downward_api: DownwardAPIProjection | None = Field(default=None, alias="downwardAPI")
    pod_certificate: PodCertificateProjection | None = None
    secret: SecretProjection | None = None
    service_account_token: ServiceAccountTokenProjection | None = None


class ConfigMapProjection(K8sModel):
    items: list[KeyToPath] | None = None
    name: str | None = None
    optional: bool | None = None


class SecretProjection(K8sModel):
    items: list[KeyToPath] | None = None
    name: str | None = None
    optional: bool | None = None


class DownwardAPIProjection(K8sModel):
    items: list[DownwardAPIVolumeFile] | None = None


class ServiceAccountTokenProjection(K8sModel):
    audience: str | None = None
    expiration_seconds: int | None = None
    path: str | None = None
    user: int | None = None


class ClusterTrustBundleProjection(K8sModel):
    label_selector: LabelSelector | None = None
    name: str | None = None
    optional: bool | None = None
    path: str | None = None
    signer_name: str | None = None
    user: int | None = None


class PodCertificateProjection(K8sModel):
    certificate_chain_path: str | None = None
    credential_bundle_path: str | None = None
    key_path: str | None = None
    key_type: str | None = None
    max_expiration_seconds: int | None = None
    signer_name: str | None = None
    user: int | None = None
    user_annotations: dict[str, str] | None = None


# --- Claims and per-pod ephemeral claims.


class PersistentVolumeClaimVolumeSource(K8sModel):
    claim_name: str | None = None
    read_only: bool | None = None


class EphemeralVolumeSource(K8sModel):
    volume_claim_template: PersistentVolumeClaimTemplate | None = None


class PersistentVolumeClaimTemplate(K8sModel):
    metadata: ObjectMeta | None = None
    spec: PersistentVolumeClaimSpec | None = None


class PersistentVolumeClaimSpec(K8sModel):
    access_modes: list[str] | None = None
    data_source: TypedLocalObjectReference | None = None
    data_source_ref: TypedObjectReference | None = None
    resources: VolumeResourceRequirements | None = None
    selector: LabelSelector | None = None
    storage_class_name: str | None = None
    volume_attributes_class_name: str | None = None
    volume_mode: str | None = None
    volume_name: str | None = None


class VolumeResourceRequirements(K8sModel):
    limits: dict[str, Quantity] | None = None
    requests: dict[str, Quantity] | None = None


class TypedLocalObjectReference(K8sModel):
    api_group: str | None = None
    kind: str | None = None
    name: str | None = None


class TypedObjectReference(K8sModel):
    api_group: str | None = None
    kind: str | None = None
    name: str | None = None
    namespace: str | None = None


class ImageVolumeSource(K8sModel):
    pull_policy: str | None = None
    reference: str | None = None


class CSIVolumeSource(K8sModel):
    driver: str | None = None
    fs_type: str | None = None
    node_publish_secret_ref: LocalObjectReference | None = None
    read_only: bool | None = None
    volume_attributes: dict[str, str] | None = None


class NFSVolumeSource(K8sModel):
    path: str | None = None
    read_only: bool | None = None
    server: str | None = None


class ISCSIVolumeSource(K8sModel):
    chap_auth_discovery: bool | None = None
    chap_auth_session: bool | None = None
    fs_type: str | None = None
    initiator_name: str | None = None
    iqn: str | None = None
    iscsi_interface: str | None = None
    lun: int | None = None
    portals: list[str] | None = None
    read_only: bool | None = None
    secret_ref: LocalObjectReference | None = None
    target_portal: str | None = None


class FCVolumeSource(K8sModel):
    fs_type: str | None = None
    lun: int | None = None
    read_only: bool | None = None
    target_wwns: list[str] | None = Field(default=None, alias="targetWWNs")
    wwids: list[str] | None = None


# In-tree storage drivers. Upstream has deprecated or removed them in favour of
# CSI, and tinykube's kubelet mounts none of them.


class AWSElasticBlockStoreVolumeSource(K8sModel):
    fs_type: str | None = None
    partition: int | None = None
    read_only: bool | None = None
    volume_id: str | None = Field(default=None, alias="volumeID")


class AzureDiskVolumeSource(K8sModel):
    caching_mode: str | None = None
    disk_name: str | None = None
    disk_uri: str | None = Field(default=None, alias="diskURI")
    fs_type: str | None = None
    kind: str | None = None
    read_only: bool | None = None


class AzureFileVolumeSource(K8sModel):
    read_only: bool | None = None
    secret_name: str | None = None
    share_name: str | None = None


class CephFSVolumeSource(K8sModel):
    monitors: list[str] | None = None
    path: str | None = None
    read_only: bool | None = None
    secret_file: str | None = None
    secret_ref: LocalObjectReference | None = None
    user: str | None = None


class CinderVolumeSource(K8sModel):
    fs_type: str | None = None
    read_only: bool | None = None
    secret_ref: LocalObjectReference | None = None
    volume_id: str | None = Field(default=None, alias="volumeID")


class FlexVolumeSource(K8sModel):
    driver: str | None = None
    fs_type: str | None = None
    options: dict[str, str] | None = None
    read_only: bool | None = None
    secret_ref: LocalObjectReference | None = None


class FlockerVolumeSource(K8sModel):
    dataset_name: str | None = None
    dataset_uuid: str | None = Field(default=None, alias="datasetUUID")


class GCEPersistentDiskVolumeSource(K8sModel):
    fs_type: str | None = None
    partition: int | None = None
    pd_name: str | None = None
    read_only: bool | None = None


class GitRepoVolumeSource(K8sModel):
    directory: str | None = None
    repository: str | None = None
    revision: str | None = None


class GlusterfsVolumeSource(K8sModel):
    endpoints: str | None = None
    path: str | None = None
    read_only: bool | None = None


class PhotonPersistentDiskVolumeSource(K8sModel):
    fs_type: str | None = None
    pd_id: str | None = Field(default=None, alias="pdID")


class PortworxVolumeSource(K8sModel):
    fs_type: str | None = None
    read_only: bool | None = None
    volume_id: str | None = Field(default=None, alias="volumeID")


class QuobyteVolumeSource(K8sModel):
    group: str | None = None
    read_only: bool | None = None
    registry: str | None = None
    tenant: str | None = None
    user: str | None = None
    volume: str | None = None


class RBDVolumeSource(K8sModel):
    fs_type: str | None = None
    image: str | None = None
    keyring: str | None = None
    monitors: list[str] | None = None
    pool: str | None = None
    read_only: bool | None = None
    secret_ref: LocalObjectReference | None = None
    user: str | None = None


class ScaleIOVolumeSource(K8sModel):
    fs_type: str | None = None
    gateway: str | None = None
    protection_domain: str | None = None
    read_only: bool | None = None
    secret_ref: LocalObjectReference | None = None
    ssl_enabled: bool | None = None
    storage_mode: str | None = None
    storage_pool: str | None = None
    system: str | None = None
    volume_name: str | None = None


class StorageOSVolumeSource(K8sModel):
    fs_type: str | None = None
    read_only: bool | None = None
    secret_ref: LocalObjectReference | None = None
    volume_name: str | None = None
    volume_namespace: str | None = None


class VsphereVirtualDiskVolumeSource(K8sModel):
    fs_type: str | None = None
    storage_policy_id: str | None = Field(default=None, alias="storagePolicyID")
    storage_policy_name: str | None = None
    volume_path: str | None = None
