"""External safety services per deployment, combined with the built-in classifier (strictest wins).

    schemas.py        a service's settings in the deployment's content filter (kind, address, jurisdiction,
                      timeout, on_failure; the key write-only)
    configuration.py  residency check, sealed keys, replacing a filter (models.py: the one table)
    base.py           the seam: SafetyService, ScreenText, ServiceVerdict, NullService, ServiceFailure
    azure_content_safety.py, openai_moderation.py, llama_guard.py    one implementation per service
    runner.py         builds a deployment's services, calls them concurrently under their timeouts
    combine.py        folds their verdicts into the built-in one, annotated with who decided

Nothing here keeps text: services are sent it and return verdicts; only verdicts go on the exchange.
"""
