/** One tracking server under test: started fresh for the run, stopped after it. */
export interface Contender {
  name: string;
  start(): Promise<{ url: string; stop(): Promise<void> }>;
}
