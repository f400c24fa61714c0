"""Configuration: the two-region example loads, environment variables win, bad configs fail clearly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from tutela.config import Settings

REPO = Path(__file__).resolve().parents[2]
TWO_REGIONS = REPO / "examples" / "two-regions.toml"
TWO_REGIONS_PG = REPO / "examples" / "two-regions-postgres.env"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No TUTELA_* variable of the developer's shell leaks into these tests."""
    import os

    for name in list(os.environ):
        if name.startswith("TUTELA_"):
            monkeypatch.delenv(name)


def _load_example(monkeypatch: pytest.MonkeyPatch, data_dir: Path | None = None) -> Settings:
    monkeypatch.setenv("TUTELA_CONFIG", str(TWO_REGIONS))
    if data_dir is not None:
        monkeypatch.setenv("TUTELA_DATA_DIR", str(data_dir))
    return Settings()


def test_two_region_example_loads_with_separate_stores_per_region(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = _load_example(monkeypatch, tmp_path)
    assert settings.region_names == ["eu-fr", "us-east"]
    assert settings.home_region == "eu-fr"
    assert settings.data_dir == tmp_path
    regions = settings.resolved_regions()
    assert regions["eu-fr"].jurisdiction == "EEA"
    assert regions["us-east"].jurisdiction == "US"
    root = str(tmp_path.resolve())
    for name, region in regions.items():
        folder = f"{root}/regions/{name}"
        assert region.database_url == f"sqlite:///{folder}/tutela.db"
        assert region.keys_url == f"sqlite:///{folder}/keys.db"
        assert region.blobs_url == f"{folder}/blobs"
    urls = [u for r in regions.values() for u in (r.database_url, r.keys_url, r.blobs_url)]
    assert len(set(urls)) == len(urls), "no two stores may share a location"
    assert settings.resolve(settings.directory_url) == f"sqlite:///{root}/directory.db"
    # The service key lives outside every database and region folder.
    assert settings.service_key_path == tmp_path / "keys" / "service.key"


def test_example_without_env_uses_the_data_dir_of_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _load_example(monkeypatch)
    assert settings.data_dir == Path("./tutela-data")
    assert "{data_dir}" not in settings.resolved_regions()["us-east"].database_url


def test_environment_overrides_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TUTELA_DEFAULT_REGION", "us-east")
    monkeypatch.setenv("TUTELA_AUTH__SESSION_HOURS", "2")
    settings = _load_example(monkeypatch, tmp_path / "elsewhere")
    assert settings.data_dir == tmp_path / "elsewhere"
    assert settings.home_region == "us-east"
    assert settings.auth.session_hours == 2
    assert settings.resolved_regions()["eu-fr"].database_url.startswith(
        f"sqlite:///{(tmp_path / 'elsewhere').resolve()}/"
    )


def test_regions_from_json_environment_replace_the_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    regions = [
        {"name": "de-fra", "jurisdiction": "EEA", "database_url": "sqlite:///{data_dir}/de.db"},
        {"name": "ca-central", "jurisdiction": "CA"},
    ]
    monkeypatch.setenv("TUTELA_REGIONS", json.dumps(regions))
    monkeypatch.setenv("TUTELA_DEFAULT_REGION", "ca-central")
    settings = _load_example(monkeypatch, tmp_path)
    assert settings.region_names == ["de-fra", "ca-central"]
    assert settings.home_region == "ca-central"
    resolved = settings.resolved_regions()
    assert resolved["de-fra"].database_url == f"sqlite:///{tmp_path.resolve()}/de.db"
    # Unset URLs fall back to the per-region defaults, with the region filled in.
    assert resolved["ca-central"].keys_url == f"sqlite:///{tmp_path.resolve()}/regions/ca-central/keys.db"


def test_postgres_env_example_parses_to_two_regions(monkeypatch: pytest.MonkeyPatch) -> None:
    for line in TWO_REGIONS_PG.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, value = line.partition("=")
        if value[:1] in {"'", '"'} and value[-1:] == value[:1]:
            value = value[1:-1]
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.region_names == ["eu-fr", "us-east"]
    assert settings.home_region == "eu-fr"
    assert settings.directory_url.startswith("postgresql://")
    regions = settings.resolved_regions()
    for region in regions.values():
        assert region.database_url.startswith("postgresql://")
        assert region.keys_url.startswith("postgresql://")
        assert region.database_url != region.keys_url
        assert region.blobs_url.startswith("s3://")
    assert regions["eu-fr"].jurisdiction == "EEA"
    assert "eu-west-3" in regions["eu-fr"].blobs_url
    assert settings.jobs.backend == "postgres"


def _error_text(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return str(exc.value)


def test_duplicate_region_names_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUTELA_REGIONS", json.dumps([{"name": "eu-fr"}, {"name": "eu-fr"}]))
    with pytest.raises(ValidationError) as exc:
        Settings()
    assert "region names must be unique" in _error_text(exc)
    assert "eu-fr" in _error_text(exc)


def test_unknown_default_region_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUTELA_DEFAULT_REGION", "ap-south")
    monkeypatch.setenv("TUTELA_CONFIG", str(TWO_REGIONS))
    with pytest.raises(ValidationError) as exc:
        Settings()
    assert "default_region 'ap-south' is not one of ['eu-fr', 'us-east']" in _error_text(exc)


@pytest.mark.parametrize("bad", ["EU", "eu fr", "1eu", "e", "eu_fr", "x" * 40])
def test_bad_region_names_are_refused(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv("TUTELA_REGIONS", json.dumps([{"name": bad}]))
    with pytest.raises(ValidationError) as exc:
        Settings()
    assert "regions.0.name" in _error_text(exc)
    assert "should match pattern" in _error_text(exc)


def test_empty_region_list_and_unknown_keys_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUTELA_REGIONS", "[]")
    with pytest.raises(ValidationError, match="at least one region is required"):
        Settings()
    monkeypatch.setenv("TUTELA_REGIONS", json.dumps([{"name": "eu-fr", "database": "typo"}]))
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Settings()


def test_invalid_toml_file_fails_with_its_problem(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "dup.toml"
    config.write_text('[[regions]]\nname = "eu-fr"\n\n[[regions]]\nname = "eu-fr"\n')
    monkeypatch.setenv("TUTELA_CONFIG", str(config))
    with pytest.raises(ValidationError, match="region names must be unique"):
        Settings()
    config.write_text('default_region = "nowhere"\n[[regions]]\nname = "eu-fr"\n')
    with pytest.raises(ValidationError, match="default_region 'nowhere'"):
        Settings()


def test_missing_config_file_is_an_error_not_silent_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Silently falling back to the single default region would place organizations in the wrong region.
    monkeypatch.setenv("TUTELA_CONFIG", str(tmp_path / "two-regoins.toml"))
    with pytest.raises(FileNotFoundError, match=r"TUTELA_CONFIG names .*two-regoins\.toml"):
        Settings()
