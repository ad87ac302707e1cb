import yoctoSpinner from 'yocto-spinner';

// What `task run --wait` and `task result --wait` show while they wait: a spinner with the task's
// progress on a terminal, a line per change otherwise (both on stderr; stdout gets the result only).

export interface TaskProgressView {
  issued(taskId: string): void;
  progress(progress: number): void;
  finished(text: string): void;
  failed(text: string): void;
}

export function taskProgressView(stderr: NodeJS.WriteStream): TaskProgressView {
  return stderr.isTTY ? spinnerView(stderr) : lineView(stderr);
}

function spinnerView(stderr: NodeJS.WriteStream): TaskProgressView {
  const spinner = yoctoSpinner({ text: 'issuing the task', stream: stderr });
  let taskId = '';
  spinner.start();
  return {
    issued(id) {
      taskId = id;
      spinner.text = `task ${id}: waiting for a node`;
    },
    progress(progress) {
      spinner.text = `task ${taskId}: ${progress}%`;
    },
    finished(text) {
      spinner.success(text);
    },
    failed(text) {
      spinner.error(text);
    },
  };
}

function lineView(stderr: NodeJS.WritableStream): TaskProgressView {
  let taskId = '';
  let shown = -1;
  return {
    issued(id) {
      taskId = id;
      stderr.write(`task ${id} issued\n`);
    },
    progress(progress) {
      if (progress === shown) return;
      shown = progress;
      stderr.write(`task ${taskId} progress ${progress}%\n`);
    },
    finished(text) {
      stderr.write(`${text}\n`);
    },
    failed(text) {
      stderr.write(`${text}\n`);
    },
  };
}
