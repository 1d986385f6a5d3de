"""The fast path's SQL rules: GENERATED from the pandera models by `python -m pipelines.fastrules --write-cache`.

Do not edit: change the models (pipelines/schemas.py) or pipelines/fastrules.py and
regenerate; tests/pipelines/test_fastpath.py fails while this file is stale.
"""

# ruff: noqa: E501
from typing import Any

RULES: dict[str, dict[str, Any]] | None = {
    "cases": {
        "columns": {
            "case_id": [
                '"_t_case_id"',
                'case when "_t_case_id" is null then false else (not starts_with("_t_case_id", \' \') and not ends_with("_t_case_id", \' \')) and (regexp_matches("case_id", \'^[A-Za-z0-9._-]{1,64}$\')) end',
            ],
            "patient_id": [
                '"_t_patient_id"',
                'case when "_t_patient_id" is null then false else (not starts_with("_t_patient_id", \' \') and not ends_with("_t_patient_id", \' \')) and (length("patient_id") >= 1 and length("patient_id") <= 64) end',
            ],
            "clinic": [
                '"_t_clinic"',
                'case when "_t_clinic" is null then false else (not starts_with("_t_clinic", \' \') and not ends_with("_t_clinic", \' \')) and (length("clinic") >= 1 and length("clinic") <= 100) end',
            ],
            "physician": [
                '"_t_physician"',
                'case when "_t_physician" is null then false else (not starts_with("_t_physician", \' \') and not ends_with("_t_physician", \' \')) and (length("physician") >= 1 and length("physician") <= 100) end',
            ],
            "sex": [
                '"_t_sex"',
                "case when \"_t_sex\" is null then false else (true) and (\"sex\" in ('female', 'male', 'other', 'unknown')) end",
            ],
            "age": [
                'try_cast("_t_age" as bigint)',
                'case when "_t_age" is null then false else (cast("age" as varchar) = "_t_age" and abs("age") < 9007199254740992) and ("age" >= 18) and ("age" <= 110) end',
            ],
            "bmi": [
                '(try_cast("_t_bmi" as double) + 0.0)',
                'case when "_t_bmi" is null then true else (isfinite("bmi") and not contains("_t_bmi", \'_\') and not contains("_t_bmi", \' \')) and ("bmi" >= 12.0) and ("bmi" <= 80.0) end',
            ],
            "smoker": [
                "case \"_t_smoker\" when 'true' then true when 'yes' then true when '1' then true when 'false' then false when 'no' then false when '0' then false end",
                'case when "_t_smoker" is null then true else ("smoker" is not null) end',
            ],
            "diabetes": [
                "case \"_t_diabetes\" when 'true' then true when 'yes' then true when '1' then true when 'false' then false when 'no' then false when '0' then false end",
                'case when "_t_diabetes" is null then true else ("diabetes" is not null) end',
            ],
            "prior_surgeries": [
                'try_cast("_t_prior_surgeries" as bigint)',
                'case when "_t_prior_surgeries" is null then true else (cast("prior_surgeries" as varchar) = "_t_prior_surgeries" and abs("prior_surgeries") < 9007199254740992) and ("prior_surgeries" >= 1) and ("prior_surgeries" <= 20) end',
            ],
            "index_surgery": [
                '"_t_index_surgery"',
                "case when \"_t_index_surgery\" is null then false else (true) and (\"index_surgery\" in ('discectomy', 'laminectomy', 'fusion', 'decompression_fusion', 'other')) end",
            ],
            "index_levels": [
                '"_t_index_levels"',
                'case when "_t_index_levels" is null then true else (true) and (regexp_matches("index_levels", \'^(?:T12-L1|L1-L2|L2-L3|L3-L4|L4-L5|L5-S1)(?:;(?:T12-L1|L1-L2|L2-L3|L3-L4|L4-L5|L5-S1))*$\')) end',
            ],
            "index_surgery_date": [
                'try_cast("_t_index_surgery_date" as date)',
                'case when "_t_index_surgery_date" is null then false else (cast("index_surgery_date" as varchar) = "_t_index_surgery_date" and "index_surgery_date" >= date \'1678-01-01\' and "index_surgery_date" <= date \'9999-12-31\') and ("index_surgery_date" <= $today) end',
            ],
            "presentation_date": [
                'try_cast("_t_presentation_date" as date)',
                'case when "_t_presentation_date" is null then false else (cast("presentation_date" as varchar) = "_t_presentation_date" and "presentation_date" >= date \'1678-01-01\' and "presentation_date" <= date \'9999-12-31\') and ("presentation_date" <= $today) end',
            ],
            "cause": [
                '"_t_cause"',
                "case when \"_t_cause\" is null then false else (true) and (\"cause\" in ('adjacent_segment_disease', 'iatrogenic_instability', 'epidural_fibrosis', 'key_structure_damage', 'decompression_failure', 'pseudarthrosis', 'arachnoiditis', 'unknown')) end",
            ],
            "treatment": [
                '"_t_treatment"',
                "case when \"_t_treatment\" is null then false else (true) and (\"treatment\" in ('revision_decompression', 'revision_fusion', 'adjacent_level_fusion', 'scar_tissue_removal', 'hardware_revision', 'platelet_rich_plasma', 'platelet_lysate_hydrodissection', 'orthobiologic_injection', 'ligament_injection', 'epidural_steroid_injection', 'percutaneous_adhesiolysis', 'radiofrequency_ablation', 'spinal_cord_stimulation', 'medication_management', 'physical_therapy')) end",
            ],
            "treatment_date": [
                'try_cast("_t_treatment_date" as date)',
                'case when "_t_treatment_date" is null then false else (cast("treatment_date" as varchar) = "_t_treatment_date" and "treatment_date" >= date \'1678-01-01\' and "treatment_date" <= date \'9999-12-31\') and ("treatment_date" <= $today) end',
            ],
            "asa_grade": [
                'try_cast("_t_asa_grade" as bigint)',
                'case when "_t_asa_grade" is null then true else (cast("asa_grade" as varchar) = "_t_asa_grade" and abs("asa_grade") < 9007199254740992) and ("asa_grade" >= 1) and ("asa_grade" <= 5) end',
            ],
            "symptom_months": [
                'try_cast("_t_symptom_months" as bigint)',
                'case when "_t_symptom_months" is null then true else (cast("symptom_months" as varchar) = "_t_symptom_months" and abs("symptom_months") < 9007199254740992) and ("symptom_months" >= 0) and ("symptom_months" <= 600) end',
            ],
            "workers_compensation": [
                "case \"_t_workers_compensation\" when 'true' then true when 'yes' then true when '1' then true when 'false' then false when 'no' then false when '0' then false end",
                'case when "_t_workers_compensation" is null then true else ("workers_compensation" is not null) end',
            ],
            "litigation": [
                "case \"_t_litigation\" when 'true' then true when 'yes' then true when '1' then true when 'false' then false when 'no' then false when '0' then false end",
                'case when "_t_litigation" is null then true else ("litigation" is not null) end',
            ],
            "depression": [
                "case \"_t_depression\" when 'true' then true when 'yes' then true when '1' then true when 'false' then false when 'no' then false when '0' then false end",
                'case when "_t_depression" is null then true else ("depression" is not null) end',
            ],
        },
        "required": [
            "case_id",
            "patient_id",
            "clinic",
            "physician",
            "sex",
            "age",
            "index_surgery",
            "index_surgery_date",
            "presentation_date",
            "cause",
            "treatment",
            "treatment_date",
        ],
        "unique": [
            "case_id",
        ],
        "frame": [
            "not coalesce(presentation_date < index_surgery_date, false)",
            "not coalesce(treatment_date < presentation_date, false)",
        ],
    },
    "assessments": {
        "columns": {
            "case_id": [
                '"_t_case_id"',
                "true",
            ],
            "timepoint": [
                '"_t_timepoint"',
                "true",
            ],
            "assessment_date": [
                'try_cast("_t_assessment_date" as date)',
                'case when "_t_assessment_date" is null then false else (cast("assessment_date" as varchar) = "_t_assessment_date" and "assessment_date" >= date \'1678-01-01\' and "assessment_date" <= date \'9999-12-31\') and ("assessment_date" <= $today) end',
            ],
            "back_pain": [
                'try_cast("_t_back_pain" as bigint)',
                'case when "_t_back_pain" is null then true else (cast("back_pain" as varchar) = "_t_back_pain" and abs("back_pain") < 9007199254740992) and ("back_pain" >= 0) and ("back_pain" <= 10) end',
            ],
            "leg_pain": [
                'try_cast("_t_leg_pain" as bigint)',
                'case when "_t_leg_pain" is null then true else (cast("leg_pain" as varchar) = "_t_leg_pain" and abs("leg_pain") < 9007199254740992) and ("leg_pain" >= 0) and ("leg_pain" <= 10) end',
            ],
            "odi": [
                '(try_cast("_t_odi" as double) + 0.0)',
                'case when "_t_odi" is null then true else (isfinite("odi") and not contains("_t_odi", \'_\') and not contains("_t_odi", \' \')) and ("odi" >= 0.0) and ("odi" <= 100.0) end',
            ],
            "eq5d": [
                '(try_cast("_t_eq5d" as double) + 0.0)',
                'case when "_t_eq5d" is null then true else (isfinite("eq5d") and not contains("_t_eq5d", \'_\') and not contains("_t_eq5d", \' \')) and ("eq5d" >= -0.6) and ("eq5d" <= 1.0) end',
            ],
            "opioid_mme": [
                '(try_cast("_t_opioid_mme" as double) + 0.0)',
                'case when "_t_opioid_mme" is null then true else (isfinite("opioid_mme") and not contains("_t_opioid_mme", \'_\') and not contains("_t_opioid_mme", \' \')) and ("opioid_mme" >= 0.0) and ("opioid_mme" <= 1000.0) end',
            ],
            "working": [
                "case \"_t_working\" when 'true' then true when 'yes' then true when '1' then true when 'false' then false when 'no' then false when '0' then false end",
                'case when "_t_working" is null then true else ("working" is not null) end',
            ],
            "satisfaction": [
                '"_t_satisfaction"',
                "case when \"_t_satisfaction\" is null then true else (true) and (\"satisfaction\" in ('satisfied', 'uncertain', 'dissatisfied')) end",
            ],
        },
        "required": [
            "case_id",
            "timepoint",
            "assessment_date",
        ],
        "unique": [
            "case_id",
            "timepoint",
        ],
        "frame": [
            "(back_pain is not null or leg_pain is not null or odi is not null or eq5d is not null)",
        ],
    },
    "events": {
        "columns": {
            "case_id": [
                '"_t_case_id"',
                "true",
            ],
            "event_date": [
                'try_cast("_t_event_date" as date)',
                'case when "_t_event_date" is null then false else (cast("event_date" as varchar) = "_t_event_date" and "event_date" >= date \'1678-01-01\' and "event_date" <= date \'9999-12-31\') and ("event_date" <= $today) end',
            ],
            "event": [
                '"_t_event"',
                "case when \"_t_event\" is null then false else (true) and (\"event\" in ('reoperation', 'crossover', 'complication', 'readmission', 'device_revision')) end",
            ],
            "detail": [
                '"_t_detail"',
                'case when "_t_detail" is null then true else (not starts_with("_t_detail", \' \') and not ends_with("_t_detail", \' \')) and (true and length("detail") <= 200) end',
            ],
        },
        "required": [
            "case_id",
            "event_date",
            "event",
        ],
        "unique": [
            "case_id",
            "event_date",
            "event",
        ],
        "frame": [],
    },
}
