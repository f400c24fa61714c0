"""Imports every model module so the three metadata objects are complete (for migrations and tests)."""

from __future__ import annotations

from tutela.authoring.covers import models as authoring_cover_models
from tutela.authoring.learning import models as learning_models
from tutela.authoring.modules import models as authoring_module_models
from tutela.authoring.prompts import models as authoring_prompt_models
from tutela.authoring.publishing import models as publishing_models
from tutela.core.audit import models as audit_models
from tutela.core.directory import models as directory_models
from tutela.core.groups import models as group_models
from tutela.core.notifications import models as notification_models
from tutela.core.organizations import models as organization_models
from tutela.core.permissions import models as permission_models
from tutela.core.users import models as user_models
from tutela.gateway.deployments import models as deployment_models
from tutela.gateway.files import models as file_models
from tutela.gateway.fine_tuning import models as fine_tuning_models
from tutela.gateway.grounding import models as data_source_models
from tutela.gateway.images import models as gateway_image_models
from tutela.gateway.library import models as library_models
from tutela.gateway.limits import models as limit_models
from tutela.gateway.monitoring import models as monitoring_models
from tutela.gateway.resources import models as resource_models
from tutela.gateway.safety import models as safety_models
from tutela.gateway.safety.external import models as safety_service_models
from tutela.gateway.safety.policies import models as policy_models
from tutela.gateway.usage import models as usage_models
from tutela.storage import objects
from tutela.storage.crypto import models as key_models
from tutela.storage.db import DirectoryBase, KeysBase, RegionBase

__all__ = ["SCHEMAS"]

_LOADED = (
    deployment_models,
    gateway_image_models,
    limit_models,
    usage_models,
    audit_models,
    directory_models,
    group_models,
    notification_models,
    publishing_models,
    organization_models,
    permission_models,
    user_models,
    resource_models,
    objects,
    key_models,
    monitoring_models,
    library_models,
    file_models,
    fine_tuning_models,
    data_source_models,
    authoring_prompt_models,
    authoring_module_models,
    authoring_cover_models,
    learning_models,
    safety_models,
    policy_models,
    safety_service_models,
)

SCHEMAS = {"directory": DirectoryBase.metadata, "region": RegionBase.metadata, "keys": KeysBase.metadata}
