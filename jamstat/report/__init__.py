"""The follow-up report: a static, bilingual web site of the strategy's goals per county and municipality,
rendered from the published warehouse at every publication (site.render_report)."""
