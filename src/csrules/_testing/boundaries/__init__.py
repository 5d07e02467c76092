"""_testing/boundaries"""
