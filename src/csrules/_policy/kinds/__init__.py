"""_policy/kinds"""
