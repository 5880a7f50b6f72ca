"""Renderers of the neutral Briefing: plain, platform-free outputs."""
