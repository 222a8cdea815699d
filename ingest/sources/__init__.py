

def rows_to_frame(table):
    """Observation rows (Arrow) → the pandas frame the CLI and tests read: text columns as Python objects with
    None for null (not NaN), value float64, is_deleted bool."""
    import pandas as pd
    import pyarrow as pa

    data = {}
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            data[name] = pd.Series(col.to_pylist(), dtype=object)
        else:
            data[name] = col.to_pandas()
    return pd.DataFrame(data)
