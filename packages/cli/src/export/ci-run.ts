import crypto from 'node:crypto';
import type { Attributes } from './span.js';

type Env = Record<string, string | undefined>;

/**
 * A CI system's variables: the run id that the shards of one pipeline run share, and the
 * OpenTelemetry `cicd.pipeline.*` resource attributes, where the system sets them.
 */
interface CiSystem {
  name: string;
  detect: (env: Env) => boolean;
  runId: (env: Env) => string | undefined;
  attributes: (env: Env) => Record<string, string | undefined>;
}

const CI_SYSTEMS: readonly CiSystem[] = [
  {
    name: 'GitHub Actions',
    detect: (env) => !!env.GITHUB_RUN_ID,
    // a re-run of a workflow keeps its run id and counts attempts: each attempt is its own trace
    runId: (env) => `${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT ?? '1'}`,
    attributes: (env) => ({
      'cicd.pipeline.name': env.GITHUB_WORKFLOW,
      'cicd.pipeline.run.id': env.GITHUB_RUN_ID,
      'cicd.pipeline.run.url.full': env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}/attempts/${env.GITHUB_RUN_ATTEMPT ?? '1'}` : undefined,
      'cicd.pipeline.task.name': env.GITHUB_JOB,
    }),
  },
  {
    name: 'GitLab CI',
    detect: (env) => !!env.CI_PIPELINE_ID,
    runId: (env) => env.CI_PIPELINE_ID,
    attributes: (env) => ({
      'cicd.pipeline.name': env.CI_PIPELINE_NAME || env.CI_PROJECT_PATH,
      'cicd.pipeline.run.id': env.CI_PIPELINE_ID,
      'cicd.pipeline.run.url.full': env.CI_PIPELINE_URL,
      'cicd.pipeline.task.name': env.CI_JOB_NAME,
      'cicd.pipeline.task.run.id': env.CI_JOB_ID,
      'cicd.pipeline.task.run.url.full': env.CI_JOB_URL,
    }),
  },
  {
    name: 'Buildkite',
    detect: (env) => !!env.BUILDKITE_BUILD_ID,
    runId: (env) => env.BUILDKITE_BUILD_ID,
    attributes: (env) => ({
      'cicd.pipeline.name': env.BUILDKITE_PIPELINE_SLUG,
      'cicd.pipeline.run.id': env.BUILDKITE_BUILD_ID,
      'cicd.pipeline.run.url.full': env.BUILDKITE_BUILD_URL,
      'cicd.pipeline.task.name': env.BUILDKITE_LABEL,
      'cicd.pipeline.task.run.id': env.BUILDKITE_JOB_ID,
    }),
  },
  {
    name: 'CircleCI',
    detect: (env) => !!env.CIRCLE_WORKFLOW_ID,
    runId: (env) => env.CIRCLE_WORKFLOW_ID,
    attributes: (env) => ({
      'cicd.pipeline.name': env.CIRCLE_PROJECT_REPONAME,
      'cicd.pipeline.run.id': env.CIRCLE_WORKFLOW_ID,
      'cicd.pipeline.task.name': env.CIRCLE_JOB,
      'cicd.pipeline.task.run.id': env.CIRCLE_BUILD_NUM,
      'cicd.pipeline.task.run.url.full': env.CIRCLE_BUILD_URL,
    }),
  },
  {
    name: 'Azure Pipelines',
    detect: (env) => !!env.BUILD_BUILDID && !!env.SYSTEM_TEAMFOUNDATIONCOLLECTIONURI,
    runId: (env) => env.BUILD_BUILDID,
    attributes: (env) => ({
      'cicd.pipeline.name': env.BUILD_DEFINITIONNAME,
      'cicd.pipeline.run.id': env.BUILD_BUILDID,
      'cicd.pipeline.task.name': env.SYSTEM_JOBDISPLAYNAME,
      'cicd.pipeline.task.run.id': env.SYSTEM_JOBID,
    }),
  },
  {
    name: 'Jenkins',
    detect: (env) => !!env.JENKINS_URL && !!env.BUILD_TAG,
    runId: (env) => env.BUILD_TAG,
    attributes: (env) => ({
      'cicd.pipeline.name': env.JOB_NAME,
      'cicd.pipeline.run.id': env.BUILD_ID,
      'cicd.pipeline.run.url.full': env.BUILD_URL,
    }),
  },
];

/** The variables each CI system's run id comes from, for the docs and --help. */
export const CI_RUN_ID_SOURCES = 'GITHUB_RUN_ID-GITHUB_RUN_ATTEMPT, CI_PIPELINE_ID (GitLab), BUILDKITE_BUILD_ID, CIRCLE_WORKFLOW_ID, BUILD_BUILDID (Azure), BUILD_TAG (Jenkins)';

export interface CiRun {
  /** The CI system, when one was detected. */
  system?: string;
  /** The run id from the CI's variables, if any. */
  runId?: string;
  /** `cicd.pipeline.*` attributes the variables give. */
  attributes: Attributes;
}

export function ciRun(env: Env = process.env): CiRun {
  const system = CI_SYSTEMS.find((s) => s.detect(env));
  if (!system) return { attributes: {} };
  const attributes: Attributes = {};
  for (const [key, value] of Object.entries(system.attributes(env))) if (value) attributes[key] = value;
  return { system: system.name, runId: system.runId(env), attributes };
}

/**
 * The trace id of a run id: the first 16 bytes of its SHA-256, so every shard exported with the
 * same run id, from any machine, lands in one trace.
 */
export function traceIdOf(runId: string): string {
  return crypto.createHash('sha256').update(`testtrace run ${runId}`).digest('hex').slice(0, 32);
}

/** A trace's own run id when neither --run-id nor a CI variable gives one: its run's wall-clock start and command line. */
export function ownRunId(run: { wallClockMs?: unknown; command?: unknown; cwd?: unknown } | undefined, file: string): string {
  if (!run || typeof run.wallClockMs !== 'number') return `file ${file}`;
  return `${run.wallClockMs} ${String(run.command ?? '')} ${String(run.cwd ?? '')}`;
}
