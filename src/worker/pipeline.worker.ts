/// <reference lib="webworker" />
import { expose } from 'comlink';
import { installComlinkErrorHandler } from './comlink-errors';
import { PipelineApi } from './pipeline-api';

installComlinkErrorHandler();
expose(new PipelineApi());
