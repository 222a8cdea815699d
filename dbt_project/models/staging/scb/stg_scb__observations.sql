{{ stage_observations('scb') }}
