"""The Function App's functions, indexed once: azure-functions allows `get_functions()` once per app."""

import functools


@functools.cache
def functions() -> dict:
    import function_app

    return {function.get_function_name(): function for function in function_app.app.get_functions()}
