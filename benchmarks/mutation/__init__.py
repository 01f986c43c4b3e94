"""Mutation testing (``make mutation``): do the tests fail when a critical module is wrong?"""
