"""_sessions/backends"""
