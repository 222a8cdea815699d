{{ stage_observations('file') }}
