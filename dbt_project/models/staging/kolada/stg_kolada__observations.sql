{{ stage_observations('kolada') }}
