export { FrameDecoder } from './frame-decoder';
